// The epoll backend's turn: readiness events and retries run the armed syscalls, whose results
// are queued and delivered after the batch, so callbacks only ever prepare new operations.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/buffer_ring.hpp"
#include "core/epoll_io.hpp"
#include "core/log.hpp"

namespace authd::core {
namespace {

constexpr int accept_budget = 64;  // per turn, so one busy listener cannot starve the rest
constexpr int recv_budget = 4;     // buffers per fd per turn; the rest waits for the next turn

}  // namespace

void EpollIo::turn(Millis wait, MonoTime& now) {
    int timeout = done_.empty() && retry_.empty() ? static_cast<int>(wait.count()) : 0;
    int n = epoll_wait(epoll_fd_, events_, max_events, timeout);
    if (n < 0 && errno != EINTR) {
        log_error("loop", "epoll_wait failed", {{"error", std::strerror(errno)}});
    }
    now = mono_now();
    for (int i = 0; i < n; ++i) on_event(events_[i].data.u64, events_[i].events);
    run_retries();
    deliver();
    // Results the callbacks' own operations produced at once (a new socket's first bytes, a
    // send that went through) are delivered in this turn too, a bounded number of rounds.
    for (int round = 0; round < 3 && !done_.empty(); ++round) deliver();
    // Messages run last, after the I/O that was ready: bytes a client sent before a shutdown
    // message was posted are read, and their request answered, before it is acted on.
    if (wake_seen_) {
        wake_seen_ = false;
        wake_->fn(wake_, 0, op_more);
    }
}

void EpollIo::deliver() {
    delivering_.swap(done_);
    for (const Done& d : delivering_) d.c->fn(d.c, d.res, d.flags);
    delivering_.clear();
}

void EpollIo::on_event(uint64_t data, uint32_t events) {
    if (data == wake_tag) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &count, sizeof count);
        wake_seen_ = true;
        return;
    }
    auto fd = static_cast<int>(data & 0xffffffffu);
    auto gen = static_cast<uint32_t>(data >> 32);
    if (static_cast<size_t>(fd) >= slots_.size()) return;
    Slot& s = slots_[static_cast<size_t>(fd)];
    if (s.gen != gen) return;  // an event of the fd number's previous life
    if (!s.edge) {
        on_poll_event(fd, s, events);
        return;
    }
    constexpr uint32_t broken = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
    if (events & (EPOLLIN | broken)) s.readable = true;
    if (events & broken) s.hangup = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) s.writable = true;
    do_ready(fd, s);
}

// One-shot: the kernel disarmed the fd; re-arm only what is still wanted.
void EpollIo::on_poll_event(int fd, Slot& s, uint32_t events) {
    Completion* in = nullptr;
    Completion* out = nullptr;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && s.poll_in) {
        in = s.poll_in;
        s.poll_in = nullptr;
    }
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && s.poll_out) {
        out = s.poll_out;
        s.poll_out = nullptr;
    }
    if (s.poll_in || s.poll_out) update_polls(fd, s, false);
    auto res = static_cast<int32_t>(events & (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP));
    if (in) complete(in, res, 0);
    if (out && out != in) complete(out, res, 0);
}

void EpollIo::do_ready(int fd, Slot& s) {
    if (s.accept) {  // a listener: nothing else is armed on it, and accepting may move `s`
        if (s.readable) do_accept(fd);
        return;
    }
    if (s.recv && s.readable) do_recv(fd, s);
    if (s.send && s.writable) do_send(fd, s);
}

void EpollIo::do_accept(int fd) {
    for (int i = 0; i < accept_budget; ++i) {
        int conn = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (conn >= 0) {
            Slot& fresh = slot(conn);  // may move slots_: `s` is re-read below
            uint32_t gen = fresh.gen + 1;
            fresh = Slot{};
            fresh.gen = gen;
            complete(slots_[static_cast<size_t>(fd)].accept, conn, op_more);
            continue;
        }
        Slot& self = slots_[static_cast<size_t>(fd)];
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            self.readable = false;
        } else if (errno != EINTR && errno != ECONNABORTED) {
            Completion* c = self.accept;
            self.accept = nullptr;
            complete(c, -errno, 0);  // EMFILE and friends: the owner decides when to re-arm
        }
        return;
    }
    retry_later(fd, slots_[static_cast<size_t>(fd)]);
}

void EpollIo::do_recv(int fd, Slot& s) {
    for (int i = 0; i < recv_budget && s.recv; ++i) {
        int id = s.buffers->take();
        if (id < 0) {
            Completion* c = s.recv;
            s.recv = nullptr;
            complete(c, -ENOBUFS, 0);  // as io_uring: re-armed once buffers are returned
            return;
        }
        auto bid = static_cast<uint16_t>(id);
        size_t size = s.buffers->buffer_size();
        ssize_t n = ::recv(fd, s.buffers->buffer(bid), size, MSG_DONTWAIT);
        if (n > 0) {
            complete(s.recv, static_cast<int32_t>(n),
                     op_more | op_has_buffer | (uint32_t{bid} << op_buffer_shift));
            if (static_cast<size_t>(n) < size && !s.hangup) {
                s.readable = false;  // drained: new bytes raise a new edge
                return;
            }
            continue;
        }
        int err = n == 0 ? 0 : errno;
        s.buffers->recycle(bid);
        if (err == EINTR) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) {
            s.readable = false;
            return;
        }
        Completion* c = s.recv;
        s.recv = nullptr;
        complete(c, -err, 0);  // 0: EOF, as io_uring reports it
        return;
    }
    if (s.recv && s.readable) retry_later(fd, s);
}

void EpollIo::do_send(int fd, Slot& s) {
    for (;;) {
        ssize_t n = ::send(fd, s.send_data, s.send_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            s.writable = false;  // EPOLLOUT's edge resumes it
            return;
        }
        Completion* c = s.send;
        s.send = nullptr;
        complete(c, n >= 0 ? static_cast<int32_t>(n) : -errno, 0);
        return;
    }
}

void EpollIo::retry_later(int fd, Slot& s) {
    if (s.retry_queued) return;
    s.retry_queued = true;
    retry_.push_back({fd, s.gen});
}

void EpollIo::run_retries() {
    retrying_.swap(retry_);
    for (const Retry& r : retrying_) {
        Slot& s = slots_[static_cast<size_t>(r.fd)];
        if (s.gen != r.gen) continue;
        s.retry_queued = false;
        do_ready(r.fd, s);
    }
    retrying_.clear();
}

}  // namespace authd::core
