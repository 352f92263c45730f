// The HTTP layer bytes in, bytes out, in process: a LoopServer on its own loop thread with a
// test router (sync and async handlers), a plain client socket on 127.0.0.1. Covers response
// serialization and ordering under pipelining, HEAD/OPTIONS/404/405 answers, the error
// answers, and a deliberately tiny recv buffer ring (the -ENOBUFS re-arm path).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <coroutine>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/loop.hpp"
#include "core/task.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "tests/free_port.hpp"
#include "tests/unit/exchange_driver.hpp"

namespace authd::http {
namespace {

using namespace std::chrono_literals;

// --- handlers ---

void h_health(Request&, Response& r) {
    r.body = R"({"status":"ok"})";
}

void h_echo(Request& req, Response& r) {
    r.content_type = "text/plain";
    r.body = "len=" + std::to_string(req.body().size()) +
             " body=" + std::string(req.body().substr(0, 32));
}

void h_item(Request& req, Response& r) {
    r.body =
        "{\"id\":" + std::string(req.param(0)) + ",\"q\":\"" + std::string(req.query()) + "\"}";
    r.no_store = true;
    r.header("X-Total-Count", "1");
}

void h_gone(Request&, Response& r) {
    r.status = 204;
}

struct Sleep {
    int ms;
    bool await_ready() { return ms <= 0; }
    void await_suspend(std::coroutine_handle<> h) {
        core::Loop* l = core::Loop::current();
        l->add_timer(core::mono_now() + core::Millis(ms), [h] { h.resume(); });
    }
    void await_resume() {}
};

core::Task<Response> h_slow(Request& req) {
    int ms = std::stoi(std::string(req.param(0)));
    co_await Sleep{ms};
    co_return detail_response(200, "slept " + std::to_string(ms));
}

// --- an in-process server ---

uint16_t free_port() {
    return static_cast<uint16_t>(testing_net::free_loopback_port());
}

class Server {
  public:
    explicit Server(ServerConfig cfg) : metrics_(1) {
        router_.add(Method::get, "/healthz", h_health);
        router_.add(Method::post, "/echo/", h_echo);
        router_.add(Method::get, "/items/<int:id>/", h_item);
        router_.add(Method::del, "/items/<int:id>/", h_gone);
        router_.add(Method::get, "/slow/<int:ms>/", h_slow);
        cfg.host = "127.0.0.1";
        cfg.port = free_port();
        port_ = cfg.port;
        std::atomic<int> state{0};  // 1 started, -1 failed
        thread_ = std::thread([this, cfg, &state] {
            std::string error;
            std::unique_ptr<core::Loop> loop(core::Loop::create(256, 0, error));
            if (!loop) {
                error_ = error;
                state = -1;
                return;
            }
            auto server =
                std::make_unique<LoopServer>(*loop, router_, cfg, metrics_.loop(0), nullptr);
            if (!server->start(error)) {
                error_ = error;
                state = -1;
                return;
            }
            loop_ = loop.get();
            server_ = server.get();
            state = 1;
            loop->run();
            server.reset();  // before the ring it registered buffers with
        });
        while (state == 0) std::this_thread::yield();
        ok_ = state == 1;
    }
    ~Server() {
        if (ok_) {
            loop_->post([this] { server_->begin_shutdown([this] { loop_->stop(); }); });
        }
        thread_.join();
    }
    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }
    uint16_t port() const { return port_; }

  private:
    Router router_;
    Metrics metrics_;
    uint16_t port_ = 0;
    std::thread thread_;
    core::Loop* loop_ = nullptr;
    LoopServer* server_ = nullptr;
    std::string error_;
    bool ok_ = false;
};

ServerConfig default_config() {
    ServerConfig c;
    c.recv_buffers = 64;
    c.recv_buffer_size = 4096;
    return c;
}

// --- a blocking client ---

class Client {
  public:
    explicit Client(uint16_t port) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Client() { close(fd_); }
    bool connected() const { return connected_; }
    void send_all(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            data.remove_prefix(static_cast<size_t>(n));
        }
    }
    void finish_sending() { shutdown(fd_, SHUT_WR); }
    // Reads until the server closes (or 5 s pass without data).
    std::string read_to_end() {
        std::string out;
        char buf[16384];
        for (;;) {
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            // A socket with SO_RCVTIMEO is never restarted after a signal (signal(7)): retry.
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        return out;
    }
    // Reads until `out` holds at least `marker`.
    std::string read_until(std::string_view marker) {
        std::string out;
        char buf[4096];
        while (out.find(marker) == std::string::npos) {
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            // A socket with SO_RCVTIMEO is never restarted after a signal (signal(7)): retry.
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        return out;
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
};

using testing_exchange::split_answers;  // one parser of response streams for both test files

// --- tests ---

TEST(HttpBytes, PipelinedMixAnswersInOrderWithStandardHeaders) {
    Server s(default_config());
    ASSERT_TRUE(s.ok()) << s.error();
    Client c(s.port());
    ASSERT_TRUE(c.connected());
    c.send_all(
        "GET /slow/30/ HTTP/1.1\r\nHost: h\r\n\r\n"      // async, finishes last in time
        "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"       // sync, must still wait its turn
        "GET /items/42?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"  // params, query, extra header
        "HEAD /items/7/ HTTP/1.1\r\nHost: h\r\n\r\n"     // served by GET, no body
        "DELETE /items/7/ HTTP/1.1\r\nHost: h\r\n\r\n"   // 204: no body, no length
        "PUT /healthz HTTP/1.1\r\nHost: h\r\n\r\n"       // 405 with Allow
        "OPTIONS /items/1/ HTTP/1.1\r\nHost: h\r\n\r\n"  // metadata with Allow
        "GET /items/abc/ HTTP/1.1\r\nHost: h\r\n\r\n"    // <int:> mismatch → 404
        "GET /slow/0/ HTTP/1.1\r\nHost: h\r\n\r\n"       // async, completes synchronously
        "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    c.finish_sending();
    auto rs = split_answers(c.read_to_end(), {false, false, false, true});
    ASSERT_EQ(rs.size(), 10u);
    EXPECT_EQ(rs[0].status, 200);
    EXPECT_EQ(rs[0].body, R"({"detail":"slept 30"})");
    EXPECT_EQ(rs[1].body, R"({"status":"ok"})");
    EXPECT_EQ(rs[2].body, R"({"id":42,"q":"x=1"})");
    EXPECT_EQ(rs[2].header("Cache-Control"), "no-store");
    EXPECT_EQ(rs[2].header("X-Total-Count"), "1");
    EXPECT_EQ(rs[3].status, 200);
    EXPECT_EQ(rs[3].header("Content-Length"),
              std::to_string(std::string(R"({"id":7,"q":""})").size()));
    EXPECT_EQ(rs[3].body, "");
    EXPECT_EQ(rs[4].status, 204);
    EXPECT_EQ(rs[4].header("Content-Length"), "<absent>");
    EXPECT_EQ(rs[5].status, 405);
    EXPECT_EQ(rs[5].body, R"({"detail":"Method \"PUT\" not allowed."})");
    EXPECT_EQ(rs[5].header("Allow"), "GET, HEAD, OPTIONS");
    EXPECT_EQ(rs[6].status, 200);
    EXPECT_EQ(rs[6].header("Allow"), "GET, HEAD, DELETE, OPTIONS");
    EXPECT_EQ(rs[7].status, 404);
    EXPECT_EQ(rs[7].body, R"({"detail":"Not found."})");
    EXPECT_EQ(rs[8].body, R"({"detail":"slept 0"})");
    EXPECT_EQ(rs[9].body, "len=5 body=hello");
    EXPECT_EQ(rs[9].header("Content-Type"), "text/plain");
    for (const auto& r : rs) {
        EXPECT_NE(r.header("Date"), "<absent>");
        EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    }
}

TEST(HttpBytes, HalfCloseDuringAnAsyncHandlerStillAnswersWhatWasSent) {
    Server s(default_config());
    ASSERT_TRUE(s.ok()) << s.error();
    {
        // The client half-closes while the first (async) answer is pending: the requests it
        // already sent behind it are answered, up to one that asked to close.
        Client c(s.port());
        c.send_all(
            "GET /slow/20/ HTTP/1.1\r\nHost: h\r\n\r\n"
            "GET /items/1/ HTTP/1.1\r\nHost: h\r\n\r\n"
            "GET /slow/5/ HTTP/1.1\r\nHost: h\r\n\r\n"
            "GET /items/2/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
            "GET /items/3/ HTTP/1.1\r\nHost: h\r\n\r\n");
        c.finish_sending();
        auto rs = split_answers(c.read_to_end());
        ASSERT_EQ(rs.size(), 4u);
        EXPECT_EQ(rs[0].body, R"({"detail":"slept 20"})");
        EXPECT_EQ(rs[1].body, R"({"id":1,"q":""})");
        EXPECT_EQ(rs[2].body, R"({"detail":"slept 5"})");
        EXPECT_EQ(rs[3].body, R"({"id":2,"q":""})");
        EXPECT_EQ(rs[3].header("Connection"), "close");
    }
    {
        // A request cut short by the half-close is not answered; the connection closes.
        Client c(s.port());
        c.send_all("GET /slow/10/ HTTP/1.1\r\nHost: h\r\n\r\nGET /items/9/ HTTP/1.1\r\nHo");
        c.finish_sending();
        auto rs = split_answers(c.read_to_end());
        ASSERT_EQ(rs.size(), 1u);
        EXPECT_EQ(rs[0].body, R"({"detail":"slept 10"})");
    }
}

TEST(HttpBytes, Http10KeepAliveIsEchoedAndPlain10Closes) {
    Server s(default_config());
    ASSERT_TRUE(s.ok()) << s.error();
    Client c(s.port());
    c.send_all("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto first = split_answers(c.read_until(R"({"status":"ok"})"));
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].header("Connection"), "keep-alive");
    c.send_all("GET /healthz HTTP/1.0\r\n\r\n");  // no keep-alive: answered, then closed
    auto second = split_answers(c.read_to_end());
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].header("Connection"), "close");
}

TEST(HttpBytes, ExpectContinueGetsInterimResponse) {
    Server s(default_config());
    ASSERT_TRUE(s.ok()) << s.error();
    Client c(s.port());
    c.send_all(
        "POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    std::string interim = c.read_until("\r\n\r\n");
    EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    c.send_all("abcd");
    c.finish_sending();
    auto rs = split_answers(c.read_to_end());
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].body, "len=4 body=abcd");
}

TEST(HttpBytes, ErrorAnswersCloseTheConnection) {
    struct Case {
        std::string bytes;
        int status;
        std::string detail;
    } cases[] = {
        {"GARBAGE\r\n\r\n", 400, "Malformed HTTP request."},
        {"POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 70000\r\n\r\n", 413,
         "Request body is too large."},
        {"GET / HTTP/1.1\r\nX-Big: " + std::string(17000, 'v') + "\r\n\r\n", 431,
         "Request header fields too large."},
        {"GET / HTTP/2.0\r\n\r\n", 505, "HTTP version not supported."},
        {"GET /healthz HTTP/1.1\r\nBad Header: x\r\n\r\n", 400, "Malformed HTTP request."},
    };
    Server s(default_config());
    ASSERT_TRUE(s.ok()) << s.error();
    for (const auto& cs : cases) {
        Client c(s.port());
        c.send_all("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n" + cs.bytes +
                   "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
        auto rs = split_answers(c.read_to_end());  // the server closes after the error
        ASSERT_EQ(rs.size(), 2u) << cs.status;
        EXPECT_EQ(rs[0].status, 200);
        EXPECT_EQ(rs[1].status, cs.status);
        EXPECT_EQ(rs[1].body, "{\"detail\":\"" + cs.detail + "\"}");
        EXPECT_EQ(rs[1].header("Connection"), "close");
    }
}

TEST(HttpBytes, TinyRecvBuffersReassembleLargeBodies) {
    // Two 64-byte provided buffers: the multishot recv keeps running out (-ENOBUFS) and
    // must be re-armed, without losing or reordering a byte.
    ServerConfig cfg = default_config();
    cfg.recv_buffers = 2;
    cfg.recv_buffer_size = 64;
    Server s(cfg);
    ASSERT_TRUE(s.ok()) << s.error();
    std::string body;
    for (int i = 0; i < 3000; ++i) body += static_cast<char>('a' + i % 26);
    std::string req =
        "POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    std::string all;
    for (int i = 0; i < 20; ++i) all += req;
    Client c(s.port());
    c.send_all(all);
    c.finish_sending();
    auto rs = split_answers(c.read_to_end());
    ASSERT_EQ(rs.size(), 20u);
    for (const auto& r : rs) EXPECT_EQ(r.body, "len=3000 body=" + body.substr(0, 32));
}

TEST(HttpBytes, ManyClientsAtOnce) {
    Server s(default_config());
    ASSERT_TRUE(s.ok()) << s.error();
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                Client c(s.port());
                c.send_all(
                    "GET /slow/1/ HTTP/1.1\r\nHost: h\r\n\r\nGET /items/5/ HTTP/1.1\r\nHost: h\r\n"
                    "Connection: close\r\n\r\n");
                auto rs = split_answers(c.read_to_end());
                if (rs.size() == 2 && rs[0].status == 200 && rs[1].body == R"({"id":5,"q":""})")
                    good.fetch_add(1);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(good.load(), 8 * 20);
}

}  // namespace
}  // namespace authd::http
