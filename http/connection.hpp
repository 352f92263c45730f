// Connection: one client socket on one loop. Bytes from multishot recv go through the
// parser; each complete request is dispatched in order (a pipelined request waits while an
// async handler runs); responses are appended to the output buffer and sent in order.
#pragma once
#include <cstdint>
#include <string>

#include "core/clock.hpp"
#include "core/loop.hpp"
#include "core/task.hpp"
#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace authd::http {

class LoopServer;
struct TimeoutList;

class Connection {
  public:
    Connection(LoopServer& server, int fd);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void start();  // arms recv and the head timeout
    // Graceful stop: close now when idle, else after the in-flight response.
    void shutdown_gracefully();
    void abort() { begin_close(); }  // drain deadline passed: close whatever state it is in

    // Timeout bookkeeping (owned by LoopServer's sweep).
    Connection* timeout_prev = nullptr;
    Connection* timeout_next = nullptr;
    TimeoutList* timeout_list = nullptr;
    core::MonoTime deadline{};
    size_t index = 0;  // position in the server's connection table

    void on_timeout() { begin_close(); }

  private:
    static void on_recv(core::Completion* c, int32_t res, uint32_t flags);
    static void on_send(core::Completion* c, int32_t res, uint32_t flags);
    void arm_recv();
    void process(std::string_view data);
    bool dispatch();  // false when an async handler is now running
    void run_sync(SyncHandler h, Request& req, size_t route_id);
    void start_async(AsyncHandler h, Request& req);
    void on_async_done();
    void write_response(Response& res, size_t route_id);
    void write_error(int status);
    void write_head(const Response& res, size_t body_length);
    void flush();
    void after_output();
    void begin_close();
    void begin_linger();
    void submit_send();
    void maybe_finish_close();
    void set_timeout(TimeoutList* list, core::Millis timeout);
    void clear_timeout();
    void update_timeout_state();
    void release_request();

    LoopServer& server_;
    int fd_;
    core::Completion recv_completion_{};
    core::Completion send_completion_{};
    RequestParser parser_;
    Request* request_ = nullptr;  // owned from the pool while a request is being read or handled

    std::string pending_in_;  // bytes read while an async handler runs, parsed afterwards
    std::string out_;         // responses waiting to be sent
    std::string sending_;     // bytes owned by the send in flight
    size_t send_offset_ = 0;

    core::Task<Response> task_;  // the async handler in flight
    size_t task_route_ = 0;
    core::MonoTime request_started_{};
    Response sync_response_;  // reused by sync handlers so the hot path does not allocate

    bool recv_armed_ = false;
    bool send_in_flight_ = false;
    bool handler_running_ = false;
    bool in_dispatch_ = false;  // re-entrancy guard: async handler finished inside start()
    bool async_finished_ = false;
    bool peer_closed_ = false;  // EOF seen; finish the in-flight response, then close
    bool close_after_send_ = false;
    bool closing_ = false;          // shutdown() issued; waiting for ops to end
    bool reading_stopped_ = false;  // after a fatal parse error, ignore further bytes
    bool lingering_ = false;        // write side shut; draining unread input before close
    bool head_only_ = false;        // HEAD served by a GET handler: headers without body
    char peer_[48] = {};            // client IP, text
};

}  // namespace authd::http
