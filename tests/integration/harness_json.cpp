// Integration-test harness: the JSON readers of response bodies (simdjson, JSON-pointer keys).
#include <simdjson.h>

#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/harness_internal.hpp"

namespace authd::test {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// JSON readers

namespace {

simdjson::dom::parser& json_parser() {
    thread_local simdjson::dom::parser parser;
    return parser;
}

// The element at `key` of a freshly parsed body; valid until the next parse on this thread.
std::optional<simdjson::dom::element> json_at(std::string_view body, std::string_view key) {
    simdjson::dom::element root;
    if (json_parser().parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    if (key.empty()) return root;
    simdjson::dom::element found;
    auto err = key.front() == '/' ? root.at_pointer(key).get(found) : root[key].get(found);
    if (err != simdjson::SUCCESS) return std::nullopt;
    return found;
}

}  // namespace

bool json_valid(std::string_view body) {
    return json_at(body, "").has_value();
}

bool json_is_object(std::string_view body) {
    auto root = json_at(body, "");
    return root && root->is_object();
}

bool json_has(std::string_view body, std::string_view key) {
    return json_at(body, key).has_value();
}

std::string json_string(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    std::string_view value;
    if (!el || el->get_string().get(value) != simdjson::SUCCESS) return {};
    return std::string(value);
}

int64_t json_int(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    int64_t value = 0;
    if (!el || el->get_int64().get(value) != simdjson::SUCCESS) return 0;
    return value;
}

bool json_bool(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    bool value = false;
    if (!el || el->get_bool().get(value) != simdjson::SUCCESS) return false;
    return value;
}

size_t json_array_size(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    simdjson::dom::array array;
    if (!el || el->get_array().get(array) != simdjson::SUCCESS) return 0;
    return array.size();
}

bool json_is_null(std::string_view body, std::string_view key) {
    auto el = json_at(body, key);
    return el && el->is_null();
}

std::vector<std::string> json_keys(std::string_view body) {
    std::vector<std::string> keys;
    auto el = json_at(body, "");
    simdjson::dom::object object;
    if (!el || el->get_object().get(object) != simdjson::SUCCESS) return keys;
    for (auto field : object) keys.emplace_back(field.key);
    return keys;
}

std::string json_quote(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", u);
            out += esc;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace authd::test
