// Metrics: per-loop counters written only by their loop (relaxed atomics, no contention)
// and summed by whoever renders /metrics in Prometheus text format.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace authd::http {

class Router;

inline constexpr size_t metric_routes = 64;  // route ids beyond this share the last slot
inline constexpr std::array<int, 17> tracked_statuses = {
    200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 431, 500, 503, 505, 0};
inline constexpr std::array<double, 12> latency_buckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};

// Single writer (its loop); readers on other threads see eventually consistent values.
class LoopMetrics {
  public:
    void count_request(size_t route, int status, double seconds);
    void connection_opened() {
        bump(connections_open_, 1);
        bump(connections_total_, 1);
    }
    void connection_closed() { bump(connections_open_, -1); }

  private:
    friend class Metrics;
    static size_t status_slot(int status);
    static void bump(std::atomic<int64_t>& c, int64_t by) {
        c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    // Index metric_routes is "no route" (404 and malformed requests).
    std::array<std::array<std::atomic<int64_t>, tracked_statuses.size()>, metric_routes + 1>
        requests_{};
    std::array<std::array<std::atomic<int64_t>, latency_buckets.size() + 1>, metric_routes + 1>
        latency_{};
    std::array<std::atomic<int64_t>, metric_routes + 1> latency_sum_us_{};
    std::atomic<int64_t> connections_open_{0};
    std::atomic<int64_t> connections_total_{0};
};

class Metrics {
  public:
    explicit Metrics(size_t loops);
    LoopMetrics& loop(size_t i) { return *loops_[i]; }
    // Extra sections (store, mail queue) appended to the text output.
    void add_source(std::function<void(std::string&)> source) {
        sources_.push_back(std::move(source));
    }
    std::string render(const Router& router) const;

  private:
    void render_latency(std::string& out, const Router& router) const;
    std::vector<std::unique_ptr<LoopMetrics>> loops_;
    std::vector<std::function<void(std::string&)>> sources_;
};

}  // namespace authd::http
