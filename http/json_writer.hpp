// JsonWriter: appends compact JSON to a string, escaping correctly. Callers emit keys and
// values in order; commas are handled here.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace authd::http {

class JsonWriter {
  public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    void key(std::string_view k);
    void value(std::string_view v);
    void value(const char* v) { value(std::string_view(v)); }
    void value(int64_t v);
    void value(int v) { value(static_cast<int64_t>(v)); }
    void value(uint32_t v) { value(static_cast<int64_t>(v)); }
    void value(bool v);
    void null();
    // Inserts already-serialized JSON as a value.
    void raw(std::string_view json);

    template <class T>
    void field(std::string_view k, const T& v) {
        key(k);
        value(v);
    }

  private:
    void separate();
    void open(char c);
    void close(char c);

    std::string& out_;
    bool need_comma_ = false;
};

}  // namespace authd::http
