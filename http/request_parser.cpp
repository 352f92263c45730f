// llhttp callbacks: copy the request into the Request's storage, apply limits, pause
// after each message.
#include "http/request_parser.hpp"

#include <strings.h>

#include <cassert>

#include "http/limits.hpp"

namespace authd::http {
namespace {

Method to_method(llhttp_method_t m) {
    switch (m) {
        case HTTP_GET:
            return Method::get;
        case HTTP_HEAD:
            return Method::head;
        case HTTP_POST:
            return Method::post;
        case HTTP_PUT:
            return Method::put;
        case HTTP_PATCH:
            return Method::patch;
        case HTTP_DELETE:
            return Method::del;
        case HTTP_OPTIONS:
            return Method::options;
        default:
            return Method::other;
    }
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// RFC 9110 §5.5: field values are VCHAR, obs-text, SP and HTAB; NUL, CR, LF and other
// controls are refused (a proxy could split or cut the value differently).
bool has_control_bytes(std::string_view v) {
    for (char ch : v) {
        auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    }
    return false;
}

// absolute-form (RFC 9112 §3.2.2): "http://host/path?q" is served as "/path?q".
size_t origin_form_start(std::string_view t) {
    size_t scheme = 0;
    if (t.size() >= 7 && strncasecmp(t.data(), "http://", 7) == 0) scheme = 7;
    if (t.size() >= 8 && strncasecmp(t.data(), "https://", 8) == 0) scheme = 8;
    if (scheme == 0) return 0;
    size_t slash = t.find_first_of("/?", scheme);
    return slash == std::string_view::npos ? t.size() : slash;
}

}  // namespace

// One settings table for all parsers: it only holds the callback pointers.
const llhttp_settings_t* RequestParser::settings() {
    static const llhttp_settings_t table = [] {
        llhttp_settings_t s;
        llhttp_settings_init(&s);
        s.on_message_begin = on_message_begin;
        s.on_url = on_url;
        s.on_header_field = on_header_field;
        s.on_header_value = on_header_value;
        s.on_headers_complete = on_headers_complete;
        s.on_body = on_body;
        s.on_message_complete = on_message_complete;
        return s;
    }();
    return &table;
}

RequestParser::RequestParser() {
    llhttp_init(&parser_, HTTP_REQUEST, settings());
    parser_.data = this;
}

int RequestParser::fail(int status) {
    error_status_ = status;
    return HPE_USER;
}

bool RequestParser::head_too_big(size_t more) const {
    // Each header also costs ": " and CRLF on the wire; count them so the limit is the wire size.
    size_t wire = req_->head_bytes() + more + 4 * req_->header_count();
    return wire > max_head_bytes;
}

int RequestParser::on_message_begin(llhttp_t* p) {
    RequestParser& s = self(p);
    assert(s.req_ && "set_request() before feeding a new request");
    s.req_->reset();
    s.target_ = {};
    s.in_message_ = true;
    s.head_complete_ = false;
    s.trailer_bytes_ = 0;
    s.last_was_value_ = true;
    return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, size_t len) {
    RequestParser& s = self(p);
    if (s.head_too_big(len)) return s.fail(431);
    if (s.target_.length == 0 && s.req_->head_bytes() == 0) {
        s.target_ = s.req_->append({at, len});
    } else {
        s.req_->extend(s.target_, {at, len});
    }
    return 0;
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, size_t len) {
    RequestParser& s = self(p);
    if (s.head_too_big(len)) return s.fail(431);
    if (s.head_complete_) return s.trailer_bytes(len);  // trailers are never headers
    // llhttp 8 (non-strict build) lets a space into a field name; RFC 9112 §5.1 says reject
    // it with 400, since a proxy in front could read such a header differently.
    if (std::string_view(at, len).find(' ') != std::string_view::npos) return s.fail(400);
    auto& headers = s.req_->header_spans();
    if (s.last_was_value_) {
        if (headers.size() >= max_headers) return s.fail(431);
        headers.push_back({s.req_->append({at, len}), {}});
        headers.back().value.offset = headers.back().name.offset + headers.back().name.length;
        s.last_was_value_ = false;
    } else {
        s.req_->extend(headers.back().name, {at, len});
        headers.back().value.offset = headers.back().name.offset + headers.back().name.length;
    }
    return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, size_t len) {
    RequestParser& s = self(p);
    if (s.head_too_big(len)) return s.fail(431);
    if (s.head_complete_) return s.trailer_bytes(len);
    if (has_control_bytes({at, len})) return s.fail(400);
    // A second piece of the same value that does not continue at a buffer boundary comes
    // after CRLF + whitespace: obs-fold, which llhttp 8 joins silently (RFC 9112 §5.2: 400).
    if (s.last_was_value_ && !s.value_open_at_end_) return s.fail(400);
    s.value_open_at_end_ = at + len == s.feed_end_;
    auto& headers = s.req_->header_spans();
    if (headers.back().name.length == 0) return s.fail(400);  // ": value" (llhttp 8 accepts it)
    s.req_->extend(headers.back().value, {at, len});
    s.last_was_value_ = true;
    return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
    RequestParser& s = self(p);
    Request& r = *s.req_;
    s.head_complete_ = true;
    Span origin = s.target_;
    size_t skip = origin_form_start(std::string_view(r.span_view(s.target_)));
    origin.offset += static_cast<uint32_t>(skip);
    origin.length -= static_cast<uint32_t>(skip);
    r.set_target(origin);
    r.version_major = p->http_major;
    r.version_minor = p->http_minor;
    if (p->http_major != 1) return s.fail(505);
    if (int status = s.check_framing(p)) return s.fail(status);
    auto m = static_cast<llhttp_method_t>(p->method);
    r.method = to_method(m);
    r.method_text = llhttp_method_name(m);
    bool has_body =
        (p->flags & F_CHUNKED) || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > max_body_bytes) return s.fail(413);
    if (has_body && p->http_minor >= 1 && iequals(r.header("expect"), "100-continue")) {
        s.wants_continue_ = true;
    }
    if (has_body) r.body_storage().reserve(p->content_length > 0 ? p->content_length : 1024);
    return 0;
}

// RFC 9112 §3.2: exactly one Host on HTTP/1.1 (at most one on 1.0). Upgrade is not
// offered: the connection stays HTTP/1.1. CONNECT (a tunnel request) is refused.
int RequestParser::check_framing(llhttp_t* p) {
    int hosts = 0;
    for (const HeaderSpan& h : req_->header_spans()) {
        if (h.name.length == 4 && iequals(req_->span_view(h.name), "host")) ++hosts;
    }
    if (hosts > 1 || (hosts == 0 && p->http_minor >= 1)) return 400;
    if (p->method == HTTP_CONNECT) return 400;  // no tunnels here
    p->upgrade = 0;
    return 0;
}

int RequestParser::trailer_bytes(size_t len) {
    trailer_bytes_ += len;
    return trailer_bytes_ > max_head_bytes ? fail(431) : 0;
}

int RequestParser::on_body(llhttp_t* p, const char* at, size_t len) {
    RequestParser& s = self(p);
    std::string& body = s.req_->body_storage();
    if (body.size() + len > max_body_bytes) return s.fail(413);
    body.append(at, len);
    return 0;
}

int RequestParser::on_message_complete(llhttp_t* p) {
    RequestParser& s = self(p);
    s.req_->keep_alive = llhttp_should_keep_alive(p) != 0;
    s.in_message_ = false;
    s.wants_continue_ = false;
    return HPE_PAUSED;  // one request at a time: the caller answers before reading on
}

ParseResult RequestParser::feed(std::string_view data) {
    ParseResult result;
    feed_end_ = data.data() + data.size();
    if (llhttp_get_errno(&parser_) == HPE_PAUSED) llhttp_resume(&parser_);
    llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
    if (err == HPE_OK) {
        result.consumed = data.size();
        return result;
    }
    if (err == HPE_PAUSED) {
        result.event = ParseEvent::request_ready;
        result.consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data.data());
        return result;
    }
    result.event = ParseEvent::error;
    if (err == HPE_PAUSED_UPGRADE) {
        // We speak no other protocol: answer the request head as malformed for us.
        result.error_status = 400;
    } else {
        result.error_status = error_status_ ? error_status_ : 400;
    }
    return result;
}

}  // namespace authd::http
