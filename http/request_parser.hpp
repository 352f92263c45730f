// RequestParser: llhttp glue. Feeds bytes, fills a Request, stops after each complete
// request so the caller can answer in order (pipelining), and enforces the size limits.
// No sockets here: bytes in, events out (unit-testable).
#pragma once
#include <llhttp.h>

#include <cstddef>
#include <string_view>

#include "http/request.hpp"

namespace authd::http {

enum class ParseEvent {
    need_more,      // all bytes consumed, request not complete yet
    request_ready,  // a whole request is in the Request; `consumed` bytes were used
    error,          // answer error_status and close the connection
};

struct ParseResult {
    ParseEvent event = ParseEvent::need_more;
    size_t consumed = 0;
    int error_status = 0;  // 400, 413, 431, 505
};

class RequestParser {
  public:
    RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // The Request filled by the next bytes. Must be set before feed() while a request may start.
    void set_request(Request* r) { req_ = r; }
    Request* request() const { return req_; }

    ParseResult feed(std::string_view data);

    // True between the first byte of a request and its completion.
    bool in_message() const { return in_message_; }
    bool head_complete() const { return head_complete_; }
    // True while the request being parsed (or refused) is a HEAD: its answer has no body.
    bool head_request() const { return in_message_ && parser_.method == HTTP_HEAD; }
    // Set when the head asked for `Expect: 100-continue` and the body is still to come;
    // the caller sends the interim response and clears it.
    bool take_continue_request() {
        bool v = wants_continue_;
        wants_continue_ = false;
        return v;
    }

  private:
    static int on_message_begin(llhttp_t* p);
    static int on_url(llhttp_t* p, const char* at, size_t len);
    static int on_header_field(llhttp_t* p, const char* at, size_t len);
    static int on_header_value(llhttp_t* p, const char* at, size_t len);
    static int on_headers_complete(llhttp_t* p);
    static int on_body(llhttp_t* p, const char* at, size_t len);
    static int on_message_complete(llhttp_t* p);
    static const llhttp_settings_t* settings();
    static RequestParser& self(llhttp_t* p) { return *static_cast<RequestParser*>(p->data); }
    int fail(int status);
    int check_framing(llhttp_t* p);
    int trailer_bytes(size_t len);
    bool head_too_big(size_t more) const;

    llhttp_t parser_{};
    Request* req_ = nullptr;
    Span target_{};
    bool in_message_ = false;
    bool head_complete_ = false;
    bool wants_continue_ = false;
    bool last_was_value_ = true;
    int error_status_ = 0;
    size_t trailer_bytes_ = 0;
    const char* feed_end_ = nullptr;  // end of the bytes being fed
    bool value_open_at_end_ = false;  // the last value piece reached feed_end_ (may go on)  //
                                      // chunked trailers, counted against the head limit, dropped
};

}  // namespace authd::http
