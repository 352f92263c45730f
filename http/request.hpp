// Request: one parsed HTTP request. Its bytes live in its own reusable storage (the
// parser copies them out of the recv buffers), so views stay valid while a handler awaits.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/method.hpp"

namespace authd {
struct LoopContext;  // one per loop thread; http/ only passes it along
}

namespace authd::http {

struct Span {
    uint32_t offset = 0;
    uint32_t length = 0;
};

struct HeaderSpan {
    Span name;
    Span value;
};

class Request {
  public:
    static constexpr size_t max_params = 4;

    Method method = Method::other;
    std::string_view method_text;  // as sent, for 405 messages
    uint8_t version_major = 1;
    uint8_t version_minor = 1;
    bool keep_alive = true;

    std::string_view target() const { return view(target_); }  // path + query as sent
    std::string_view path() const { return view(path_); }
    std::string_view query() const { return view(query_); }
    std::string_view body() const { return body_; }

    // Case-insensitive header lookup; first match. Empty view when absent.
    std::string_view header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    // Calls fn(value) for every header of that name, last one first (value trimmed).
    template <class F>
    void for_each_header_reversed(std::string_view name, F&& fn) const {
        for (size_t i = headers_.size(); i-- > 0;) {
            if (header_named(headers_[i], name)) fn(trimmed(view(headers_[i].value)));
        }
    }
    size_t header_count() const { return headers_.size(); }
    // Header i in arrival order (i < header_count()), for headers that may be repeated.
    std::string_view header_name(size_t i) const { return view(headers_[i].name); }
    std::string_view header_value(size_t i) const { return view(headers_[i].value); }

    // Path parameters captured by the router, in pattern order.
    std::string_view param(size_t i) const {
        return i < param_count_ ? params_[i] : std::string_view{};
    }
    size_t param_count() const { return param_count_; }

    // The application's per-loop context (defined by the application, e.g. auth/), set by
    // the server before dispatch.
    LoopContext* context = nullptr;
    // The client's IP address (for per-address limits); valid while the request is.
    std::string_view peer_address() const { return peer_; }
    void set_peer_address(std::string_view p) { peer_ = p; }

    // --- used by the parser and router ---
    void reset();
    Span append(std::string_view bytes);  // appends to head storage, returns where it went
    void extend(Span& span, std::string_view bytes);  // continues the span just appended
    void set_target(Span s);
    std::vector<HeaderSpan>& header_spans() { return headers_; }
    std::string& body_storage() { return body_; }
    size_t head_bytes() const { return head_.size(); }
    void set_params(const std::array<std::string_view, max_params>& p, size_t n) {
        params_ = p;
        param_count_ = n;
    }

  private:
    std::string_view view(Span s) const { return {head_.data() + s.offset, s.length}; }
    bool header_named(const HeaderSpan& h, std::string_view name) const;
    static std::string_view trimmed(std::string_view v);

    std::string head_;  // request-target and header bytes, back to back
    std::string body_;  // decoded body (chunked framing removed)
    std::vector<HeaderSpan> headers_;
    Span target_, path_, query_;
    std::array<std::string_view, max_params> params_{};
    size_t param_count_ = 0;
    std::string_view peer_;
};

}  // namespace authd::http
