// LoopServer: the HTTP server of one loop — its SO_REUSEPORT listener, multishot accept,
// recv buffer ring, connection timeouts, and graceful drain. Connections never leave it.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/buffer_ring.hpp"
#include "core/clock.hpp"
#include "core/loop.hpp"
#include "core/unique_function.hpp"
#include "http/cors.hpp"
#include "http/metrics.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace authd::http {

class Connection;

struct ServerConfig {
    std::string host = "127.0.0.1";
    uint16_t port = 8000;
    core::Millis header_timeout{10000};  // complete request head within this
    core::Millis idle_timeout{60000};    // keep-alive idle limit
    core::Millis drain_timeout{10000};   // graceful stop gives in-flight requests this long
    size_t max_connections = 100000;     // per loop; beyond, new connections are closed
    unsigned recv_buffers = 1024;        // per loop, power of two
    unsigned recv_buffer_size = 4096;
    std::vector<std::string> cors_origins;
};

// Intrusive list of connections ordered by deadline (all share one timeout length).
struct TimeoutList {
    Connection* head = nullptr;
    Connection* tail = nullptr;
};

class LoopServer {
  public:
    LoopServer(core::Loop& loop, const Router& router, const ServerConfig& config,
               LoopMetrics& metrics, LoopContext* app_context);
    ~LoopServer();

    // Opens the listener and arms accept and the timeout sweep.
    bool start(std::string& error);
    // Stops accepting, lets in-flight requests finish, closes the rest; `drained` runs
    // (on this loop) once no connection is left.
    void begin_shutdown(core::UniqueFunction<void()> drained);

    // --- for Connection ---
    core::Loop& loop() { return loop_; }
    const Router& router() const { return router_; }
    const ServerConfig& config() const { return config_; }
    const CorsPolicy& cors() const { return cors_; }
    LoopMetrics& metrics() { return metrics_; }
    core::BufferRing& buffers() { return buffers_; }
    LoopContext* app_context() const { return app_context_; }
    bool shutting_down() const { return shutting_down_; }
    Request* acquire_request();
    void release_request(Request* r);
    TimeoutList& head_timeouts() { return head_timeouts_; }
    TimeoutList& idle_timeouts() { return idle_timeouts_; }
    TimeoutList& linger_timeouts() { return linger_timeouts_; }
    void connection_finished(Connection* c);

  private:
    static void on_accept(core::Completion* c, int32_t res, uint32_t flags);
    void arm_accept();
    void sweep_timeouts();
    void schedule_sweep();
    void maybe_drained();

    core::Loop& loop_;
    const Router& router_;
    ServerConfig config_;
    CorsPolicy cors_;
    LoopMetrics& metrics_;
    LoopContext* app_context_;
    core::BufferRing buffers_;
    int listen_fd_ = -1;
    core::Completion accept_completion_{};
    bool accept_armed_ = false;
    bool shutting_down_ = false;
    core::UniqueFunction<void()> drained_;
    std::vector<Connection*> connections_;  // index stored in the connection, for O(1) removal
    std::vector<std::unique_ptr<Request>> free_requests_;
    TimeoutList head_timeouts_;
    TimeoutList idle_timeouts_;
    TimeoutList linger_timeouts_;
    core::TimerId sweep_timer_;
    core::TimerId drain_timer_;
    bool sweep_scheduled_ = false;
    bool drain_timer_set_ = false;

    friend class Connection;
};

// Opens a listening TCP socket with SO_REUSEPORT (one per loop).
int open_listener(const std::string& host, uint16_t port, std::string& error);

}  // namespace authd::http
