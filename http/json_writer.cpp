// JsonWriter implementation.
#include "http/json_writer.hpp"

#include <charconv>

#include "core/json_escape.hpp"

namespace authd::http {

void JsonWriter::separate() {
    if (need_comma_) out_ += ',';
}

void JsonWriter::open(char c) {
    separate();
    out_ += c;
    need_comma_ = false;
}

void JsonWriter::close(char c) {
    out_ += c;
    need_comma_ = true;
}

void JsonWriter::key(std::string_view k) {
    separate();
    out_ += '"';
    core::append_json_escaped(out_, k);
    out_ += "\":";
    need_comma_ = false;
}

void JsonWriter::value(std::string_view v) {
    separate();
    out_ += '"';
    core::append_json_escaped(out_, v);
    out_ += '"';
    need_comma_ = true;
}

void JsonWriter::value(int64_t v) {
    separate();
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
    need_comma_ = true;
}

void JsonWriter::value(bool v) {
    separate();
    out_ += v ? "true" : "false";
    need_comma_ = true;
}

void JsonWriter::null() {
    separate();
    out_ += "null";
    need_comma_ = true;
}

void JsonWriter::raw(std::string_view json) {
    separate();
    out_ += json;
    need_comma_ = true;
}

}  // namespace authd::http
