// Integration tests of a connection's lifetime on the real binary: head and idle timeouts, and the
// graceful shutdown on SIGTERM (in-flight requests finish, idle connections close promptly).
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/http_layer_support.hpp"

namespace authd::test::http_layer {
namespace {

// ---------------------------------------------------------------------------------------------
// Timeouts

TEST_F(HttpLayer, SlowHeadIsClosedAfterDefaultTenSeconds) {
    ASSERT_TRUE(server_.start());
    RawConnection conn(server_.port(), 20s);
    ASSERT_TRUE(conn.send("GET /heal"));
    auto t0 = Clock::now();
    EXPECT_TRUE(conn.closed_by_peer(15000)) << "incomplete head still open after 15 s";
    double elapsed = seconds_since(t0);
    EXPECT_GE(elapsed, 9.0) << "closed too early";
    EXPECT_LE(elapsed, 14.0);
}

TEST_F(HttpLayer, ConfiguredHeaderTimeoutAlsoStopsTrickledHeads) {
    ASSERT_TRUE(server_.start({{"AUTHD_HEADER_TIMEOUT", "2"}}));
    RawConnection silent(server_.port(), 10s);
    RawConnection trickle(server_.port(), 10s);
    ASSERT_TRUE(silent.send("GET /heal"));
    // A client that keeps sending one byte at a time must not extend its head deadline.
    std::string head = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(200, 'a');
    auto t0 = Clock::now();
    bool closed = false;
    for (size_t i = 0; i < head.size() && seconds_since(t0) < 8.0; ++i) {
        if (trickle.closed_by_peer(250)) {
            closed = true;
            break;
        }
        trickle.send(std::string_view(&head[i], 1));
    }
    double trickle_elapsed = seconds_since(t0);
    EXPECT_TRUE(closed) << "trickled head never closed";
    EXPECT_GE(trickle_elapsed, 1.5);
    EXPECT_LE(trickle_elapsed, 4.5);
    EXPECT_TRUE(silent.closed_by_peer(3000));
    EXPECT_LE(seconds_since(t0), 4.5);
}

TEST_F(HttpLayer, HeaderTimeoutDoesNotCutIdleKeepAlive) {
    ASSERT_TRUE(server_.start({{"AUTHD_HEADER_TIMEOUT", "1"}}));
    RawConnection conn(server_.port());
    auto r = exchange(conn, get("/healthz"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_FALSE(conn.closed_by_peer(2500)) << "an idle keep-alive connection is not a slow head";
    r = exchange(conn, get("/healthz"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
}

TEST_F(HttpLayer, IdleKeepAliveIsClosedAfterConfiguredTimeout) {
    ASSERT_TRUE(server_.start({{"AUTHD_IDLE_TIMEOUT", "2"}}));
    RawConnection conn(server_.port(), 10s);
    auto r = exchange(conn, get("/healthz"));
    ASSERT_TRUE(r) << conn.error();
    EXPECT_FALSE(conn.closed_by_peer(1000)) << "closed before the idle timeout";
    r = exchange(conn, get("/healthz"));  // activity restarts the idle clock
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
    auto t1 = Clock::now();
    EXPECT_TRUE(conn.closed_by_peer(6000)) << "idle connection still open";
    double elapsed = seconds_since(t1);
    EXPECT_GE(elapsed, 1.5);
    EXPECT_LE(elapsed, 4.5);
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown (§8)

TEST_F(HttpLayer, SigtermFinishesInFlightRequestAndExitsZero) {
    ASSERT_TRUE(server_.start());
    int port = server_.port();
    RawConnection conn(port);
    ASSERT_TRUE(conn.send(get("/healthz")));
    server_.signal(SIGTERM);
    auto r = conn.read_response();
    ASSERT_TRUE(r) << "in-flight request lost on SIGTERM: " << conn.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(server_.wait_exit(15s), 0) << "authd did not exit 0 after SIGTERM";
    RawConnection after(port, 1s);
    EXPECT_FALSE(after.connected()) << "a connection was accepted after shutdown";
    EXPECT_EQ(after.connect_errno(), ECONNREFUSED);
}

TEST_F(HttpLayer, SigtermClosesIdleConnectionsPromptly) {
    ASSERT_TRUE(server_.start());
    std::vector<RawConnection> idle;
    for (int i = 0; i < 3; ++i) {
        idle.emplace_back(server_.port());
        auto r = exchange(idle.back(), get("/healthz"));
        ASSERT_TRUE(r) << idle.back().error();
    }
    idle.emplace_back(server_.port());  // connected, never sent anything
    ASSERT_TRUE(idle.back().connected());
    std::this_thread::sleep_for(50ms);  // let the server accept the last one
    auto t0 = Clock::now();
    server_.signal(SIGTERM);
    EXPECT_EQ(server_.wait_exit(15s), 0);
    EXPECT_LE(seconds_since(t0), 5.0) << "idle keep-alive connections held up the shutdown";
    for (auto& conn : idle) EXPECT_TRUE(conn.closed_by_peer(1000));
}

}  // namespace
}  // namespace authd::test::http_layer
