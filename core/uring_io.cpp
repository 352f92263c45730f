// The io_uring backend: ring set-up with the fastest flags the kernel accepts and the turn
// (submit-and-wait, completion batch). Today's behaviour and speed: CQE flags pass through.
#include "core/uring_io.hpp"

#include <cerrno>
#include <cstring>

#include "core/log.hpp"

namespace authd::core {

static_assert(op_has_buffer == IORING_CQE_F_BUFFER && op_more == IORING_CQE_F_MORE &&
                  op_buffer_shift == IORING_CQE_BUFFER_SHIFT,
              "Completion flags are io_uring's CQE flags");

std::string explain_uring_refusal(int err) {
    std::string why = "io_uring_queue_init failed: ";
    why += std::strerror(err);
    if (err == EPERM || err == EACCES) {
        why +=
            " (io_uring is refused: a seccomp profile in a container, or "
            "sysctl kernel.io_uring_disabled=1/2, blocks it)";
    } else if (err == ENOSYS) {
        why += " (this kernel has no io_uring; authd needs Linux 6.0 or newer)";
    } else if (err == EINVAL) {
        why += " (the kernel rejected every ring set-up; authd needs Linux 6.0 or newer)";
    } else if (err == ENOMEM) {
        why += " (locked-memory limit too low: raise `ulimit -l`)";
    }
    return why;
}

UringIo* UringIo::create(unsigned entries, std::string& error) {
    auto* io = new UringIo;
    // Try the cheapest completion mode first and fall back for older kernels.
    const unsigned flag_sets[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    int rc = -EINVAL;
    for (unsigned flags : flag_sets) {
        io_uring_params params{};
        params.flags = flags | IORING_SETUP_CQSIZE;
        params.cq_entries = entries * 4;
        rc = io_uring_queue_init_params(entries, &io->ring_, &params);
        if (rc == 0) break;
        if (rc != -EINVAL) break;
    }
    if (rc < 0) {
        error = explain_uring_refusal(-rc);
        io->ring_.ring_fd = -1;
        delete io;
        return nullptr;
    }
    io_uring_register_ring_fd(&io->ring_);  // optional speed-up; failure is harmless
    return io;
}

UringIo::~UringIo() {
    if (ring_.ring_fd > 0) io_uring_queue_exit(&ring_);
}

void UringIo::turn(Millis wait, MonoTime& now) {
    __kernel_timespec ts{};
    ts.tv_sec = wait.count() / 1000;
    ts.tv_nsec = (wait.count() % 1000) * 1000000;
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
        log_error("loop", "io_uring wait failed", {{"error", std::strerror(-rc)}});
    }
    now = mono_now();
    unsigned head;
    unsigned count = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++count;
        auto* c = static_cast<Completion*>(io_uring_cqe_get_data(cqe));
        if (c) c->fn(c, cqe->res, cqe->flags);
    }
    io_uring_cq_advance(&ring_, count);
}

}  // namespace authd::core
