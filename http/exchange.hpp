// Exchange: the HTTP/1.1 protocol of one connection with no socket — bytes in, response
// bytes out. It drives llhttp, answers pipelined requests in order (one async handler at a
// time), applies the HEAD/OPTIONS/404/405 policy, CORS, 100-continue and the limits, and
// bounds its own memory: it stops parsing while unsent output is above output_limit and
// asks its owner to stop reading while buffered input is above input_pause.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/task.hpp"
#include "http/cors.hpp"
#include "http/metrics.hpp"
#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace authd::http {

// Unsent response bytes above which no further request is parsed (and input is not read).
inline constexpr size_t output_limit = 64 * 1024;
// Buffered, not yet parsed input above which the owner stops reading the socket.
inline constexpr size_t input_pause = 64 * 1024;
// Buffered input beyond which the connection is closed (reads that were already in flight
// when reading stopped; unreachable with a well-behaved kernel).
inline constexpr size_t input_hard_limit = 256 * 1024;

// Reusable Request objects shared by the connections of one loop.
class RequestPool {
  public:
    Request* acquire();
    void release(Request* r);

  private:
    std::vector<std::unique_ptr<Request>> free_;
};

// What every exchange of one loop shares.
struct ExchangeContext {
    const Router* router = nullptr;
    const CorsPolicy* cors = nullptr;
    LoopMetrics* metrics = nullptr;
    LoopContext* app_context = nullptr;  // Request::context
    RequestPool* requests = nullptr;
    bool shutting_down = false;  // answers carry Connection: close
};

class Exchange {
  public:
    // `notify(owner)` runs when an async handler finished (new output, or the end of work).
    using Notify = void (*)(void* owner);
    Exchange(ExchangeContext& ctx, Notify notify, void* owner);
    ~Exchange();
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    void set_peer(std::string_view address) { peer_ = address; }

    // Bytes from the client: parsed and answered now, or buffered (bounded) for later.
    void receive(std::string_view data);
    // The client half-closed: answer what it sent, then finish.
    void end_of_input();
    // Graceful stop: answer the request in progress (if any), then finish.
    void stop_after_current();
    // The connection is closing: drop buffered input, never parse again.
    void abandon();

    // Output. next_send() hands out the bytes to send now (stable until sent()); the owner
    // has at most one send in flight and reports its progress with sent().
    std::string_view next_send();
    void sent(size_t n);
    size_t unsent() const { return out_.size() + (sending_.size() - send_offset_); }

    // True exactly when an async handler is running (the exchange must outlive it).
    bool handler_running() const { return handler_running_; }
    // True exactly when nothing more will be answered and all output was handed out and sent.
    bool finished() const { return close_after_send_ && !handler_running_ && unsent() == 0; }
    // True when the exchange stopped on a malformed request (the owner lingers before close).
    bool refused_input() const { return input_stopped_; }
    // True while more input may be buffered (false: the owner should stop reading).
    bool wants_input() const {
        return !close_after_send_ && !input_stopped_ && pending_in_.size() < input_pause;
    }
    bool in_message() const { return parser_.in_message(); }
    bool head_complete() const { return parser_.head_complete(); }
    // True when buffered input waits for the output to drain below output_limit.
    bool output_blocked() const { return unsent() > output_limit; }

  private:
    bool can_parse() const {
        return !handler_running_ && !close_after_send_ && !input_stopped_ && !output_blocked();
    }
    void process(std::string_view data);
    void resume();
    void settle();
    bool dispatch();  // false when an async handler is now running
    bool answer_without_handler(Request& req, const RouteMatch& m, Handler& h);
    void start_async(AsyncHandler h, Request& req);
    void on_async_done();
    void write_response(Response& res, size_t route_id);
    void write_error(int status);
    void release_request();
    void buffer_input(std::string_view data);

    ExchangeContext& ctx_;
    Notify notify_;
    void* owner_;
    RequestParser parser_;
    Request* request_ = nullptr;  // from the pool while a request is being read or handled
    std::string_view peer_;

    std::string pending_in_;  // received, not yet parsed (≤ input_hard_limit)
    std::string out_;         // answers not yet handed to the owner
    std::string sending_;     // bytes handed out by next_send(), stable until sent
    size_t send_offset_ = 0;

    core::Task<Response> task_;  // the async handler in flight
    size_t task_route_ = 0;
    core::MonoTime request_started_{};
    Response sync_response_;  // reused by sync handlers so the hot path does not allocate

    bool handler_running_ = false;
    bool in_dispatch_ = false;  // an async handler that finishes inside start() is answered there
    bool async_finished_ = false;
    bool peer_closed_ = false;       // end_of_input() seen
    bool close_after_send_ = false;  // no further request is parsed
    bool input_stopped_ = false;     // a malformed request was answered: discard the rest
    bool head_only_ = false;         // answering HEAD: headers without the body
};

}  // namespace authd::http
