// UringIo: the io_uring backend of Loop. Every operation is one SQE carrying its Completion* in
// user_data; a turn submits once, waits, and reaps the completion batch.
#pragma once
#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/clock.hpp"
#include "core/completion.hpp"

namespace authd::core {

class UringIo {
  public:
    // Creates the ring with the fastest flags the kernel accepts; nullptr and `error` on refusal.
    static UringIo* create(unsigned entries, std::string& error);
    ~UringIo();
    UringIo(const UringIo&) = delete;
    UringIo& operator=(const UringIo&) = delete;

    io_uring* ring() { return &ring_; }

    // A free SQE, submitting pending ones first if the SQ is full. Never returns nullptr.
    io_uring_sqe* sqe() {
        io_uring_sqe* s = io_uring_get_sqe(&ring_);
        while (!s) {
            io_uring_submit(&ring_);
            s = io_uring_get_sqe(&ring_);
        }
        return s;
    }
    io_uring_sqe* sqe_for(Completion* c) {
        io_uring_sqe* s = sqe();
        io_uring_sqe_set_data(s, c);
        return s;
    }

    void accept(int listen_fd, Completion* c) {
        io_uring_prep_multishot_accept(sqe_for(c), listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    }
    void recv(int fd, uint16_t buf_group, Completion* c) {
        io_uring_sqe* s = sqe_for(c);
        io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = buf_group;
    }
    void send(int fd, const char* data, size_t len, Completion* c) {
        io_uring_prep_send(sqe_for(c), fd, data, len, MSG_NOSIGNAL);
    }
    void poll(int fd, uint32_t poll_mask, Completion* c) {
        io_uring_prep_poll_add(sqe_for(c), fd, poll_mask);
    }
    // The cancel itself completes to nobody; the cancelled op ends with -ECANCELED.
    void cancel(Completion* c) {
        io_uring_sqe* s = sqe();
        io_uring_prep_cancel(s, c, 0);
        io_uring_sqe_set_data(s, nullptr);
    }
    void nop(Completion* c) { io_uring_prep_nop(sqe_for(c)); }
    void read(int fd, void* buf, unsigned len, Completion* c) {
        io_uring_prep_read(sqe_for(c), fd, buf, len, 0);
    }

    // Submits what the turn prepared, waits at most `wait` for one completion, refreshes
    // `now`, runs the batch.
    void turn(Millis wait, MonoTime& now);

  private:
    UringIo() = default;
    io_uring ring_{};
};

// One line on why the kernel refused io_uring (seccomp, sysctl, old kernel, memlock).
std::string explain_uring_refusal(int err);

}  // namespace authd::core
