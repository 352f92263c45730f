// Body parsing: simdjson DOM for JSON (full validation), hand-written form decoding.
#include "http/body_fields.hpp"

#include <simdjson.h>
#include <strings.h>

#include "core/utf8.hpp"

namespace authd::http {
namespace {

std::string_view media_type(std::string_view content_type) {
    size_t semi = content_type.find(';');
    std::string_view t = content_type.substr(0, semi);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    return t;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

Response unsupported_media_type(std::string_view type) {
    std::string msg = "Unsupported media type \"";
    msg += type;
    msg += "\" in request.";
    return detail_response(415, msg);
}

Response json_error(std::string_view reason) {
    std::string msg = "JSON parse error - ";
    msg += reason;
    return detail_response(400, msg);
}

Response too_many_fields() {
    return detail_response(400, "Too many fields in the request body (at most " +
                                    std::to_string(max_body_fields) + ").");
}

// Duplicate detection in O(1) per field: an open-addressing table of indices into the
// field list (the cap bounds even a fully colliding table to max_body_fields² compares).
class FieldIndex {
  public:
    explicit FieldIndex(std::vector<Field>& fields) : fields_(fields) {
        for (size_t i = 0; i < fields_.size(); ++i) slot_for(fields_[i].name) = uint16_t(i + 1);
    }
    // Adds or replaces (a repeated name keeps its last value). False beyond the cap.
    bool put(Field f) {
        if (++seen_ > max_body_fields) return false;
        uint16_t& slot = slot_for(f.name);
        if (slot != 0) {
            fields_[slot - 1] = std::move(f);
            return true;
        }
        fields_.push_back(std::move(f));
        slot = static_cast<uint16_t>(fields_.size());
        return true;
    }

  private:
    static constexpr size_t slots = 2 * max_body_fields;  // power of two, load ≤ 1/2
    uint16_t& slot_for(std::string_view name) {
        size_t i = std::hash<std::string_view>{}(name) & (slots - 1);
        while (table_[i] != 0 && fields_[table_[i] - 1].name != name) i = (i + 1) & (slots - 1);
        return table_[i];
    }
    std::vector<Field>& fields_;
    uint16_t table_[slots] = {};
    size_t seen_ = 0;
};

std::optional<Response> parse_json(Request& req, BodyFields& out) {
    std::string& body = req.body_storage();
    size_t len = body.size();
    body.reserve(len + simdjson::SIMDJSON_PADDING);
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (auto err = parser.parse(body.data(), len, false).get(doc)) {
        return json_error(simdjson::error_message(err));
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return json_error("the body must be a JSON object");
    FieldIndex index(out.fields);
    for (auto [key, value] : obj) {
        Field f;
        f.name = std::string(key);
        switch (value.type()) {
            case simdjson::dom::element_type::STRING:
                f.kind = FieldKind::string;
                f.value = std::string(value.get_string().value_unsafe());
                break;
            case simdjson::dom::element_type::BOOL:
                f.kind = FieldKind::boolean;
                f.value = value.get_bool().value_unsafe() ? "true" : "false";
                break;
            case simdjson::dom::element_type::NULL_VALUE:
                f.kind = FieldKind::null;
                break;
            case simdjson::dom::element_type::ARRAY:
                f.kind = FieldKind::array;
                break;
            case simdjson::dom::element_type::OBJECT:
                f.kind = FieldKind::object;
                break;
            default:
                f.kind = FieldKind::number;
                f.value = simdjson::to_string(value);
        }
        if (!index.put(std::move(f))) return too_many_fields();
    }
    return std::nullopt;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

const Field* BodyFields::find(std::string_view name) const {
    for (const auto& f : fields) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += c;  // a stray % stays literal, as Python's unquote does
        }
    }
    return out;
}

FormError decode_urlencoded(std::string_view text, std::vector<Field>& out) {
    FieldIndex index(out);
    while (!text.empty()) {
        size_t amp = text.find('&');
        std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        Field f;
        f.name = percent_decode(pair.substr(0, eq), true);
        f.value = eq == std::string_view::npos ? std::string{}
                                               : percent_decode(pair.substr(eq + 1), true);
        if (!core::is_valid_utf8(f.name) || !core::is_valid_utf8(f.value)) {
            return FormError::bad_utf8;
        }
        if (!index.put(std::move(f))) return FormError::too_many_fields;
    }
    return FormError::none;
}

std::optional<Response> parse_body(Request& req, BodyFields& out) {
    out.fields.clear();
    std::string_view content_type = req.header("content-type");
    std::string_view type = media_type(content_type);
    // An empty form post (a form whose fields were all left out) is still a form post.
    out.from_form = iequals(type, "application/x-www-form-urlencoded");
    if (req.body().empty()) return std::nullopt;
    if (iequals(type, "application/json")) return parse_json(req, out);
    if (out.from_form) {
        switch (decode_urlencoded(req.body(), out.fields)) {
            case FormError::none:
                return std::nullopt;
            case FormError::bad_utf8:
                return detail_response(400, "Form parse error - the body is not valid UTF-8.");
            case FormError::too_many_fields:
                return too_many_fields();
        }
    }
    return unsupported_media_type(content_type);
}

}  // namespace authd::http
