// Loop's backend-neutral operations on both backends over real sockets: multishot accept,
// multishot recv into loop buffers (re-armed after -ENOBUFS, ending with EOF), a large send in
// order across partial sends, one-shot level polls, and cancel ending an armed op exactly once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/loop.hpp"

namespace authd::core {
namespace {

using namespace std::chrono_literals;

// Records every completion of one operation; a recv also collects (and recycles) its bytes
// and re-arms itself after -ENOBUFS, as http::Connection does.
struct Op {
    Completion c;
    Loop* loop = nullptr;
    int fd = -1;
    BufferRing* buffers = nullptr;
    std::vector<int32_t> res;
    std::string bytes;
    int finals = 0;  // completions without op_more
};

void on_op(Completion* c, int32_t res, uint32_t flags) {
    auto* op = reinterpret_cast<Op*>(c);  // c is the first member
    op->res.push_back(res);
    if (op->buffers && res > 0) {
        uint16_t id = completion_buffer(flags);
        op->bytes.append(op->buffers->buffer(id), static_cast<size_t>(res));
        op->buffers->recycle(id);
    }
    if (completion_more(flags)) return;
    if (op->buffers && res == -ENOBUFS) {
        op->loop->recv(op->fd, *op->buffers, &op->c);
        return;
    }
    ++op->finals;
}

class LoopIo : public ::testing::TestWithParam<IoBackend> {
  protected:
    void SetUp() override {
        std::string error;
        loop_.reset(Loop::create(GetParam(), 64, 0, error));
        ASSERT_TRUE(loop_) << error;
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair_), 0);
    }
    void TearDown() override {
        for (int fd : pair_) close(fd);
    }
    // Runs the loop until pred() holds or `limit` passes; returns pred().
    bool run_until(const std::function<bool()>& pred, Millis limit = 5s) {
        auto until = mono_now() + limit;
        std::function<void()> check = [&] {
            if (pred() || mono_now() > until) {
                loop_->stop();
                return;
            }
            loop_->add_timer(mono_now() + 1ms, [&] { check(); });
        };
        loop_->add_timer(mono_now(), [&] { check(); });
        loop_->run();
        return pred();
    }
    Op make_op(int fd, BufferRing* buffers = nullptr) {
        Op op;
        op.c = {&on_op, nullptr};
        op.loop = loop_.get();
        op.fd = fd;
        op.buffers = buffers;
        return op;
    }
    std::unique_ptr<Loop> loop_;
    int pair_[2] = {-1, -1};
};

TEST_P(LoopIo, MultishotAcceptTakesEveryConnectionUntilCancelled) {
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(lfd, 16), 0);
    ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    Op accept = make_op(lfd);
    loop_->accept(lfd, &accept.c);
    std::vector<int> clients;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ASSERT_EQ(connect(clients.back(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
    ASSERT_TRUE(run_until([&] { return accept.res.size() == 5; }));
    for (int32_t fd : accept.res) EXPECT_GE(fd, 0);
    EXPECT_EQ(accept.finals, 0);
    loop_->cancel(lfd, &accept.c);
    ASSERT_TRUE(run_until([&] { return accept.finals == 1; }));
    EXPECT_EQ(accept.res.back(), -ECANCELED);
    for (int32_t fd : accept.res) {
        if (fd >= 0) close(fd);
    }
    for (int fd : clients) close(fd);
    close(lfd);
}

TEST_P(LoopIo, RecvDeliversEveryByteInOrderThenEof) {
    std::string error;
    BufferRing buffers;
    ASSERT_TRUE(buffers.init(*loop_, 0, 4, 64, error)) << error;  // tiny: forces -ENOBUFS
    Op recv = make_op(pair_[0], &buffers);
    loop_->recv(pair_[0], buffers, &recv.c);
    std::string sent;
    for (int i = 0; i < 2000; ++i) sent += static_cast<char>('a' + i % 26);
    ASSERT_EQ(write(pair_[1], sent.data(), sent.size()), static_cast<ssize_t>(sent.size()));
    shutdown(pair_[1], SHUT_WR);
    ASSERT_TRUE(run_until([&] { return recv.finals == 1; })) << recv.bytes.size();
    EXPECT_FALSE(run_until([&] { return recv.finals > 1; }, 20ms));  // nothing after the end
    EXPECT_EQ(recv.bytes, sent);
    EXPECT_EQ(recv.res.back(), 0);  // EOF ends the multishot
}

TEST_P(LoopIo, CancelAndShutdownEndAnArmedRecvExactlyOnce) {
    std::string error;
    BufferRing buffers;
    ASSERT_TRUE(buffers.init(*loop_, 0, 4, 64, error)) << error;
    Op recv = make_op(pair_[0], &buffers);
    loop_->recv(pair_[0], buffers, &recv.c);
    EXPECT_FALSE(run_until([&] { return recv.finals > 0; }, 20ms));
    loop_->shutdown(pair_[0]);
    loop_->cancel(pair_[0], &recv.c);
    ASSERT_TRUE(run_until([&] { return recv.finals == 1; }));
    EXPECT_TRUE(recv.res.back() == -ECANCELED || recv.res.back() == 0) << recv.res.back();
    EXPECT_FALSE(run_until([&] { return recv.finals > 1; }, 20ms));
}

TEST_P(LoopIo, LargeSendArrivesWholeAcrossPartialSends) {
    std::string payload(4 << 20, '\0');
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 % 251);
    std::string received;
    std::thread reader([&] {
        char buf[65536];
        while (received.size() < payload.size()) {
            ssize_t n = read(pair_[1], buf, sizeof buf);
            if (n <= 0) break;
            received.append(buf, static_cast<size_t>(n));
        }
    });
    struct Sender {
        Completion c;
        Loop* loop;
        int fd;
        const std::string* data;
        size_t offset = 0;
        int sends = 0;
        bool failed = false;
    } sender{{}, loop_.get(), pair_[0], &payload};
    sender.c = {[](Completion* c, int32_t res, uint32_t) {
                    auto* s = reinterpret_cast<Sender*>(c);
                    ++s->sends;
                    if (res <= 0) {
                        s->failed = true;
                        return;
                    }
                    s->offset += static_cast<size_t>(res);
                    if (s->offset < s->data->size()) {
                        s->loop->send(s->fd, s->data->data() + s->offset,
                                      s->data->size() - s->offset, &s->c);
                    }
                },
                nullptr};
    loop_->send(pair_[0], payload.data(), payload.size(), &sender.c);
    bool sent = run_until([&] { return sender.failed || sender.offset == payload.size(); });
    reader.join();
    ASSERT_TRUE(sent);
    EXPECT_FALSE(sender.failed);
    EXPECT_TRUE(received == payload);
}

TEST_P(LoopIo, PollIsLevelTriggeredOneShotAndCancellable) {
    Op in = make_op(pair_[0]);
    loop_->poll(pair_[0], POLLIN, &in.c);
    EXPECT_FALSE(run_until([&] { return in.finals > 0; }, 50ms));  // nothing to read yet
    ASSERT_EQ(write(pair_[1], "x", 1), 1);
    ASSERT_TRUE(run_until([&] { return in.finals == 1; }));
    EXPECT_TRUE(in.res.back() & POLLIN);
    loop_->poll(pair_[0], POLLIN, &in.c);  // the byte is still unread: ready at once
    ASSERT_TRUE(run_until([&] { return in.finals == 2; }));
    Op out = make_op(pair_[0]);
    loop_->poll(pair_[0], POLLOUT, &out.c);  // both directions armed on one fd
    char byte;
    ASSERT_EQ(read(pair_[0], &byte, 1), 1);
    loop_->poll(pair_[0], POLLIN, &in.c);
    ASSERT_TRUE(run_until([&] { return out.finals == 1; }));
    EXPECT_TRUE(out.res.back() & POLLOUT);
    loop_->cancel(pair_[0], &in.c);
    ASSERT_TRUE(run_until([&] { return in.finals == 3; }));
    EXPECT_EQ(in.res.back(), -ECANCELED);
    EXPECT_FALSE(run_until([&] { return in.finals > 3 || out.finals > 1; }, 50ms));
}

INSTANTIATE_TEST_SUITE_P(Backends, LoopIo, ::testing::Values(IoBackend::io_uring, IoBackend::epoll),
                         [](const ::testing::TestParamInfo<IoBackend>& info) {
                             return std::string(backend_name(info.param));
                         });

}  // namespace
}  // namespace authd::core
