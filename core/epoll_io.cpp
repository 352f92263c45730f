// The epoll backend: per-fd slots holding the armed operations, the readiness-driven syscalls
// (accept4, recv into a loop buffer, send, poll), and the turn that runs the queued results.
#include "core/epoll_io.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>

#include "core/buffer_ring.hpp"
#include "core/log.hpp"

namespace authd::core {
namespace {

uint64_t tag(int fd, uint32_t gen) {
    return static_cast<uint64_t>(static_cast<uint32_t>(fd)) | (static_cast<uint64_t>(gen) << 32);
}

}  // namespace

EpollIo* EpollIo::create(std::string& error) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) {
        error = std::string("epoll_create1: ") + std::strerror(errno);
        return nullptr;
    }
    auto* io = new EpollIo;
    io->epoll_fd_ = fd;
    io->done_.reserve(1024);
    io->delivering_.reserve(1024);
    return io;
}

EpollIo::~EpollIo() {
    if (epoll_fd_ >= 0) close(epoll_fd_);
}

EpollIo::Slot& EpollIo::slot(int fd) {
    assert(fd >= 0);
    auto i = static_cast<size_t>(fd);
    if (i >= slots_.size()) slots_.resize(std::max(i + 1, slots_.size() * 2));
    return slots_[i];
}

// ADD, or MOD when the fd is already in the set; a stale `registered` (the fd was closed and
// its number reused) shows up as ENOENT/EEXIST and is corrected here.
bool EpollIo::control(int fd, Slot& s, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag(fd, s.gen);
    int op = s.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(epoll_fd_, op, fd, &ev);
    if (rc < 0 && errno == ENOENT) rc = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    if (rc < 0 && errno == EEXIST) rc = epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    s.registered = rc == 0;
    if (rc < 0) log_warn("loop", "epoll_ctl failed", {{"error", std::strerror(errno)}});
    return rc == 0;
}

void EpollIo::register_edge(int fd, Slot& s) {
    if (s.registered && s.edge) return;
    s.edge = true;
    control(fd, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

void EpollIo::accept(int listen_fd, Completion* c) {
    Slot& s = slot(listen_fd);
    s.accept = c;
    int fl = fcntl(listen_fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
    if (!s.registered || !s.edge) {
        s.readable = true;  // connections may be queued already: try once
        register_edge(listen_fd, s);
    }
    if (s.readable) retry_later(listen_fd, s);
}

void EpollIo::recv(int fd, BufferRing& buffers, Completion* c) {
    Slot& s = slot(fd);
    s.recv = c;
    s.buffers = &buffers;
    bool fresh = !s.registered;
    register_edge(fd, s);
    if (fresh) {
        // A new connection's request usually arrived with it: read it now rather than a turn
        // later (one EAGAIN recv when it did not).
        s.readable = true;
        do_recv(fd, s);
    } else if (s.readable) {
        retry_later(fd, s);
    }
}

void EpollIo::send(int fd, const char* data, size_t len, Completion* c) {
    Slot& s = slot(fd);
    assert(!s.send && "one send in flight per fd");
    s.send = c;
    s.send_data = data;
    s.send_len = len;
    register_edge(fd, s);
    do_send(fd, s);  // the result is queued: the caller's callback does not re-enter
}

void EpollIo::poll(int fd, uint32_t poll_mask, Completion* c) {
    Slot& s = slot(fd);
    s.edge = false;
    if (poll_mask & POLLIN) s.poll_in = c;
    if (poll_mask & POLLOUT) s.poll_out = c;
    update_polls(fd, s, false);
}

void EpollIo::update_polls(int fd, Slot& s, bool drop_when_idle) {
    uint32_t events = (s.poll_in ? EPOLLIN : 0u) | (s.poll_out ? EPOLLOUT : 0u);
    if (events) {
        control(fd, s, events | EPOLLONESHOT);
    } else if (drop_when_idle && s.registered) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // the fd is about to be closed
        s.registered = false;
    }
}

void EpollIo::cancel(int fd, Completion* c) {
    if (fd < 0 || static_cast<size_t>(fd) >= slots_.size()) return;
    Slot& s = slots_[static_cast<size_t>(fd)];
    bool found = false;
    for (Completion** op : {&s.accept, &s.recv, &s.send, &s.poll_in, &s.poll_out}) {
        if (*op == c) {
            *op = nullptr;
            found = true;
        }
    }
    if (!found) return;  // already ended: like an io_uring cancel that finds nothing
    if (!s.edge) update_polls(fd, s, true);
    complete(c, -ECANCELED, 0);
}

void EpollIo::shutdown(int fd) {
    ::shutdown(fd, SHUT_RDWR);
    if (fd < 0 || static_cast<size_t>(fd) >= slots_.size()) return;
    Slot& s = slots_[static_cast<size_t>(fd)];
    // Pending ops now end at once (recv: EOF, send: EPIPE); do not wait for the edge.
    s.readable = s.writable = s.hangup = true;
    retry_later(fd, s);
}

void EpollIo::watch_wakeup(int event_fd, Completion* c) {
    wake_fd_ = event_fd;
    wake_ = c;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = wake_tag;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd, &ev);
}

}  // namespace authd::core
