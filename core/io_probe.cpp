// The io_uring probe: a real ring with authd's flags, the opcode probe, and one multishot recv
// armed on a socketpair with a provided-buffer ring, which must deliver a byte and stay armed.
#include "core/io_probe.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "core/buffer_ring.hpp"
#include "core/loop.hpp"

namespace authd::core {
namespace {

std::string missing_opcode(io_uring* ring) {
    io_uring_probe* probe = io_uring_get_probe_ring(ring);
    if (!probe) return "the kernel cannot list its io_uring opcodes (Linux 5.6 or newer needed)";
    struct Need {
        int op;
        const char* name;
    };
    const Need needs[] = {{IORING_OP_ACCEPT, "ACCEPT"},
                          {IORING_OP_RECV, "RECV"},
                          {IORING_OP_SEND, "SEND"},
                          {IORING_OP_POLL_ADD, "POLL_ADD"},
                          {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
                          {IORING_OP_READ, "READ"},
                          {IORING_OP_NOP, "NOP"}};
    std::string missing;
    for (const Need& n : needs) {
        if (!io_uring_opcode_supported(probe, n.op)) missing = n.name;
    }
    io_uring_free_probe(probe);
    return missing.empty() ? missing : "io_uring lacks the opcode " + missing;
}

struct ProbeRecv {
    Completion c;
    Loop* loop = nullptr;
    int32_t res = -ETIME;
    uint32_t flags = 0;
};

void on_probe_recv(Completion* c, int32_t res, uint32_t flags) {
    auto* p = reinterpret_cast<ProbeRecv*>(c);  // c is the first member
    p->res = res;
    p->flags = flags;
    p->loop->stop();
}

// Arms one multishot recv with provided buffers (Linux 6.0) and sends it a byte.
std::string try_multishot_recv(Loop& loop) {
    BufferRing buffers;
    std::string error;
    if (!buffers.init(loop, 0, 2, 64, error)) return error;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        return std::string("socketpair: ") + std::strerror(errno);
    }
    ProbeRecv p;
    p.c = {&on_probe_recv, nullptr};
    p.loop = &loop;
    loop.recv(sv[0], buffers, &p.c);
    [[maybe_unused]] ssize_t w = write(sv[1], "x", 1);
    auto guard = loop.add_timer(mono_now() + std::chrono::seconds(2), [&loop] { loop.stop(); });
    loop.run();
    if (p.res != -ETIME) loop.cancel_timer(guard);
    close(sv[1]);
    close(sv[0]);  // the ring's teardown (loop's destructor) ends the armed recv
    if (p.res == 1 && completion_more(p.flags) && (p.flags & op_has_buffer)) return {};
    if (p.res == -ETIME) return "a multishot recv never completed";
    if (p.res < 0) {
        return std::string("multishot recv refused: ") + std::strerror(-p.res) +
               " (authd needs Linux 6.0 or newer)";
    }
    return "a multishot recv did not stay armed (authd needs Linux 6.0 or newer)";
}

}  // namespace

std::string probe_io_uring() {
    std::string error;
    std::unique_ptr<Loop> loop(Loop::create(IoBackend::io_uring, 8, -1, error));
    if (!loop) return error;
    if (std::string why = missing_opcode(loop->uring()->ring()); !why.empty()) return why;
    return try_multishot_recv(*loop);
}

IoChoice choose_io_backend(std::string_view mode) {
    if (mode == "epoll") return {true, IoBackend::epoll, "AUTHD_IO=epoll"};
    std::string refusal = probe_io_uring();
    if (refusal.empty()) {
        return {
            true, IoBackend::io_uring,
            mode == "io_uring" ? "AUTHD_IO=io_uring" : "AUTHD_IO=auto: the kernel grants io_uring"};
    }
    if (mode == "io_uring") return {false, IoBackend::io_uring, refusal};
    return {true, IoBackend::epoll, "AUTHD_IO=auto: io_uring unavailable: " + refusal};
}

}  // namespace authd::core
