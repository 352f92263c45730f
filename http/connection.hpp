// Connection: one client socket on one loop — the fd, the multishot recv and the send, the
// connection's timer and the close sequence. The protocol itself is the Exchange; this
// class only moves bytes between it and the socket.
#pragma once
#include <cstdint>
#include <string>

#include "core/clock.hpp"
#include "core/loop.hpp"
#include "http/exchange.hpp"

namespace authd::http {

class LoopServer;

class Connection {
  public:
    Connection(LoopServer& server, int fd);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void start();  // arms recv and the head timeout
    // Graceful stop: close now when idle, else after the in-flight response.
    void shutdown_gracefully();
    void abort() {  // drain deadline passed: close whatever state it is in
        begin_close();
        maybe_finish_close();  // may delete this
    }

    size_t index = 0;  // position in the server's connection table

  private:
    enum class State {
        open,       // exchanging requests and answers (see Exchange for the phase)
        lingering,  // write side shut after an error answer; discarding input until EOF/timer
        closing,    // shutdown(RDWR) issued; waiting for the armed operations to end
    };
    // Which limit the timer currently enforces.
    enum class TimerKind { none, head, idle, send, linger };

    static void on_recv(core::Completion* c, int32_t res, uint32_t flags);
    static void on_send(core::Completion* c, int32_t res, uint32_t flags);
    static void on_timer(core::Timer* t);
    static void on_exchange(void* self);
    void arm_recv();
    void settle();
    void update_reading();
    void update_timer();
    void set_timer(TimerKind kind, core::Millis timeout);
    void begin_close();
    void begin_linger();
    void maybe_finish_close();

    LoopServer& server_;
    int fd_;
    State state_ = State::open;
    core::Completion recv_completion_{};
    core::Completion send_completion_{};
    core::Timer timer_;
    TimerKind timer_kind_ = TimerKind::none;
    Exchange exchange_;

    // True exactly when a multishot recv is armed on the loop: from Loop::recv() until the
    // completion without op_more.
    bool recv_armed_ = false;
    // True exactly when a cancel of the armed recv was made and its final completion not seen.
    bool recv_cancelling_ = false;
    // True exactly when a Loop::send() was made and its completion not seen yet.
    bool send_armed_ = false;
    bool peer_eof_ = false;  // recv returned 0
    char peer_[48] = {};     // client IP, text
};

}  // namespace authd::http
