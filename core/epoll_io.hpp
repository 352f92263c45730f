// EpollIo: the epoll backend of Loop, for kernels or sandboxes that refuse io_uring. It offers
// the same completion-based operations (multishot accept and recv, one send at a time per fd,
// one-shot polls, cancel) by doing the syscall when the fd is ready and queueing the result.
#pragma once
#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/completion.hpp"

namespace authd::core {

class BufferRing;

// Edge-triggered for the sockets authd reads and writes: one epoll_ctl(ADD) per connection
// life (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET) and none when a send has to wait, which is where
// level-triggered would need an EPOLL_CTL_MOD per blocked send and per disarm. Readiness not yet
// consumed is remembered in the fd's slot, so nothing is lost between edges. A short read means
// the socket was drained (new bytes raise a new edge), as nginx assumes, saving an EAGAIN recv.
// Polls (hiredis wants level semantics) are level-triggered EPOLLONESHOT, re-armed per poll.
class EpollIo {
  public:
    static EpollIo* create(std::string& error);
    ~EpollIo();
    EpollIo(const EpollIo&) = delete;
    EpollIo& operator=(const EpollIo&) = delete;

    void accept(int listen_fd, Completion* c);
    void recv(int fd, BufferRing& buffers, Completion* c);
    void send(int fd, const char* data, size_t len, Completion* c);
    void poll(int fd, uint32_t poll_mask, Completion* c);
    void cancel(int fd, Completion* c);
    void shutdown(int fd);
    void nop(Completion* c) { complete(c, 0, 0); }
    // event_fd's every signal completes `c` (with op_more: it stays armed); the count is reset.
    void watch_wakeup(int event_fd, Completion* c);

    // Waits at most `wait` (not at all when results are queued), refreshes `now`, does the
    // syscalls of the fds that became ready, then runs the queued completions.
    void turn(Millis wait, MonoTime& now);

  private:
    // Invariant: an op's pointer is cleared before its final completion is queued, so nothing
    // completes for an op after its final result, as with io_uring.
    struct Slot {
        uint32_t gen = 0;         // bumped when the fd number starts a new life (accept)
        bool registered = false;  // in the epoll set (the kernel drops it on close)
        bool edge = false;        // edge-triggered socket, else one-shot polls
        bool readable = false;    // edge mode: readiness not consumed yet
        bool writable = true;
        bool hangup = false;  // peer closed or error: read until EOF even after a short read
        bool retry_queued = false;
        Completion* accept = nullptr;
        Completion* recv = nullptr;
        BufferRing* buffers = nullptr;
        Completion* send = nullptr;
        const char* send_data = nullptr;
        size_t send_len = 0;
        Completion* poll_in = nullptr;
        Completion* poll_out = nullptr;
    };
    struct Done {
        Completion* c;
        int32_t res;
        uint32_t flags;
    };
    struct Retry {
        int fd;
        uint32_t gen;
    };

    EpollIo() = default;
    Slot& slot(int fd);
    void complete(Completion* c, int32_t res, uint32_t flags) { done_.push_back({c, res, flags}); }
    void register_edge(int fd, Slot& s);
    bool control(int fd, Slot& s, uint32_t events);
    void update_polls(int fd, Slot& s, bool drop_when_idle);
    void on_event(uint64_t data, uint32_t events);
    void on_poll_event(int fd, Slot& s, uint32_t events);
    void do_ready(int fd, Slot& s);
    void do_accept(int fd);
    void do_recv(int fd, Slot& s);
    void do_send(int fd, Slot& s);
    void retry_later(int fd, Slot& s);
    void run_retries();
    void deliver();

    static constexpr uint64_t wake_tag = ~uint64_t{0};
    static constexpr int max_events = 256;

    int epoll_fd_ = -1;
    std::vector<Slot> slots_;  // indexed by fd
    std::vector<Done> done_;
    std::vector<Done> delivering_;
    std::vector<Retry> retry_;
    std::vector<Retry> retrying_;
    int wake_fd_ = -1;
    Completion* wake_ = nullptr;
    bool wake_seen_ = false;  // the eventfd fired in this batch: complete wake_ after the I/O
    epoll_event events_[max_events];
};

}  // namespace authd::core
