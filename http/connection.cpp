// Connection: moves bytes between the socket and the Exchange, keeps one timer for the
// limit that applies now (head, idle, send, linger), and closes carefully (shutdown, wait
// for the multishot recv and the send to end, then close the fd and free).
#include "http/connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>

#include "http/server.hpp"

namespace authd::http {
namespace {

constexpr core::Millis linger_timeout{2000};

}  // namespace

Connection::Connection(LoopServer& server, int fd)
    : server_(server),
      fd_(fd),
      timer_(&Connection::on_timer, this),
      exchange_(server.exchange_context(), &Connection::on_exchange, this) {
    recv_completion_ = {&Connection::on_recv, this};
    send_completion_ = {&Connection::on_send, this};
}

Connection::~Connection() {
    assert(!recv_armed_ && !send_armed_ && !exchange_.handler_running());
    if (fd_ >= 0) close(fd_);
}

void Connection::start() {
    server_.metrics().connection_opened();
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        if (addr.ss_family == AF_INET) {
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, peer_,
                      sizeof peer_);
        } else if (addr.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, peer_,
                      sizeof peer_);
        }
    }
    exchange_.set_peer(peer_);
    arm_recv();
    set_timer(TimerKind::head, server_.config().header_timeout);
}

void Connection::arm_recv() {
    assert(!recv_armed_ && state_ != State::closing);
    server_.loop().recv(fd_, server_.buffers(), &recv_completion_);
    recv_armed_ = true;
}

void Connection::on_recv(core::Completion* c, int32_t res, uint32_t flags) {
    auto* self = static_cast<Connection*>(c->owner);
    assert(self->recv_armed_);
    if (!core::completion_more(flags)) {
        self->recv_armed_ = false;
        self->recv_cancelling_ = false;
    }
    if (res > 0) {
        assert(flags & core::op_has_buffer);
        uint16_t bid = core::completion_buffer(flags);
        std::string_view data(self->server_.buffers().buffer(bid), static_cast<size_t>(res));
        if (self->state_ == State::open) self->exchange_.receive(data);  // else: discarded
        self->server_.buffers().recycle(bid);
    } else if (res == 0) {
        // EOF: the client may have half-closed after its last request; answer it first.
        self->peer_eof_ = true;
        if (self->state_ == State::open) self->exchange_.end_of_input();
        if (self->state_ == State::lingering) self->begin_close();
    } else if (res != -ENOBUFS && res != -ECANCELED) {
        self->begin_close();  // ENOBUFS: re-armed by settle(); ECANCELED: we stopped reading
    }
    self->settle();
    self->maybe_finish_close();
}

void Connection::on_send(core::Completion* c, int32_t res, uint32_t) {
    auto* self = static_cast<Connection*>(c->owner);
    assert(self->send_armed_);
    self->send_armed_ = false;
    if (self->state_ != State::closing) {
        if (res <= 0) {
            self->begin_close();
        } else {
            // Progress restarts the send limit: only a client that reads nothing for
            // send_timeout is closed (its output stays bounded meanwhile).
            self->set_timer(TimerKind::send, self->server_.config().send_timeout);
            self->exchange_.sent(static_cast<size_t>(res));
            self->settle();
        }
    }
    self->maybe_finish_close();
}

void Connection::on_timer(core::Timer* t) {
    auto* self = static_cast<Connection*>(t->owner);
    assert(self->timer_kind_ != TimerKind::none && self->state_ != State::closing);
    if (self->timer_kind_ == TimerKind::send) {
        // A client that reads nothing: reset instead of a FIN queued behind megabytes the
        // kernel would keep trying to deliver (its memory is released at once).
        linger abortive{1, 0};
        setsockopt(self->fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    }
    self->timer_kind_ = TimerKind::none;
    self->begin_close();
    self->maybe_finish_close();
}

void Connection::on_exchange(void* owner) {
    auto* self = static_cast<Connection*>(owner);
    self->settle();
    self->maybe_finish_close();  // may delete self
}

// After any event: send what is ready, then close, linger, or adjust reading and the timer.
void Connection::settle() {
    if (state_ == State::closing) return;
    if (!send_armed_) {
        std::string_view bytes = exchange_.next_send();
        if (!bytes.empty()) {
            server_.loop().send(fd_, bytes.data(), bytes.size(), &send_completion_);
            send_armed_ = true;
        }
    }
    if (state_ == State::open && exchange_.finished()) {
        if (exchange_.refused_input() && !peer_eof_) {
            begin_linger();
        } else {
            begin_close();
            return;
        }
    }
    update_reading();
    if (state_ == State::open) update_timer();
}

// Reading follows the exchange: paused while its buffered input is at its bound.
void Connection::update_reading() {
    bool want = !peer_eof_ && (state_ == State::lingering || exchange_.wants_input());
    if (want && !recv_armed_) {
        arm_recv();
    } else if (!want && recv_armed_ && !recv_cancelling_) {
        server_.loop().cancel(fd_, &recv_completion_);
        recv_cancelling_ = true;
    }
}

// One timer, for the limit of the current phase. The head limit runs from the first byte
// of a head and is never extended; the idle limit restarts only once an answer was sent
// (a request merely parsed does not extend it); the send limit restarts on send progress.
void Connection::update_timer() {
    const ServerConfig& cfg = server_.config();
    if (exchange_.unsent() > 0) {
        if (timer_kind_ != TimerKind::send) set_timer(TimerKind::send, cfg.send_timeout);
    } else if (exchange_.handler_running()) {
        server_.loop().disarm(timer_);
        timer_kind_ = TimerKind::none;
    } else if (exchange_.in_message() && !exchange_.head_complete()) {
        if (timer_kind_ != TimerKind::head) set_timer(TimerKind::head, cfg.header_timeout);
    } else if (timer_kind_ != TimerKind::idle) {
        set_timer(TimerKind::idle, cfg.idle_timeout);
    }
}

void Connection::set_timer(TimerKind kind, core::Millis timeout) {
    timer_kind_ = kind;
    server_.loop().arm(timer_, server_.loop().now() + timeout);
}

// After an error answer, shut our write side and discard input for a moment so the
// client reads the answer instead of a reset caused by its unread bytes.
void Connection::begin_linger() {
    assert(state_ == State::open);
    state_ = State::lingering;
    ::shutdown(fd_, SHUT_WR);
    set_timer(TimerKind::linger, linger_timeout);
}

void Connection::shutdown_gracefully() {
    if (state_ == State::open) exchange_.stop_after_current();
    settle();
    maybe_finish_close();
}

void Connection::begin_close() {
    if (state_ == State::closing) return;
    state_ = State::closing;
    server_.loop().disarm(timer_);
    timer_kind_ = TimerKind::none;
    exchange_.abandon();
    server_.loop().shutdown(fd_);  // the armed send (if any) now ends at once
    if (recv_armed_ && !recv_cancelling_) {
        server_.loop().cancel(fd_, &recv_completion_);
        recv_cancelling_ = true;
    }
}

void Connection::maybe_finish_close() {
    if (state_ != State::closing || recv_armed_ || send_armed_ || exchange_.handler_running())
        return;
    server_.connection_finished(this);  // deletes this
}

}  // namespace authd::http
