// Prometheus text rendering of the per-loop counters.
#include "http/metrics.hpp"

#include <cstdio>

#include "http/router.hpp"

namespace authd::http {

size_t LoopMetrics::status_slot(int status) {
    for (size_t i = 0; i + 1 < tracked_statuses.size(); ++i) {
        if (tracked_statuses[i] == status) return i;
    }
    return tracked_statuses.size() - 1;
}

void LoopMetrics::count_request(size_t route, int status, double seconds) {
    if (route > metric_routes) route = metric_routes;
    bump(requests_[route][status_slot(status)], 1);
    size_t b = 0;
    while (b < latency_buckets.size() && seconds > latency_buckets[b]) ++b;
    bump(latency_[route][b], 1);
    bump(latency_sum_us_[route], static_cast<int64_t>(seconds * 1e6));
}

Metrics::Metrics(size_t loops) {
    for (size_t i = 0; i < loops; ++i) loops_.push_back(std::make_unique<LoopMetrics>());
}

namespace {

void append_line(std::string& out, const char* fmt, auto... args) {
    char buf[512];
    int n = snprintf(buf, sizeof buf, fmt, args...);
    if (n > 0) out.append(buf, static_cast<size_t>(n) < sizeof buf ? n : sizeof buf - 1);
}

}  // namespace

// The per-route latency histograms (cumulative buckets, sum, count).
void Metrics::render_latency(std::string& out, const Router& router) const {
    auto route_name = [&](size_t r) -> std::string {
        return r < router.route_count() && r < metric_routes ? router.route(r).pattern
                                                             : "unmatched";
    };
    auto sum = [&](auto getter) {
        int64_t total = 0;
        for (const auto& l : loops_) total += getter(*l).load(std::memory_order_relaxed);
        return total;
    };
    out +=
        "# HELP authd_http_request_duration_seconds Time from a parsed request to its queued "
        "response.\n"
        "# TYPE authd_http_request_duration_seconds histogram\n";
    for (size_t r = 0; r <= metric_routes; ++r) {
        int64_t cumulative = 0;
        std::string name = route_name(r);
        for (size_t b = 0; b <= latency_buckets.size(); ++b) {
            cumulative += sum([&](const LoopMetrics& l) -> const std::atomic<int64_t>& {
                return l.latency_[r][b];
            });
            if (cumulative == 0) continue;
            if (b < latency_buckets.size()) {
                append_line(
                    out,
                    "authd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
                    name.c_str(), latency_buckets[b], static_cast<long long>(cumulative));
            } else {
                append_line(
                    out,
                    "authd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n",
                    name.c_str(), static_cast<long long>(cumulative));
            }
        }
        if (cumulative == 0) continue;
        int64_t us = sum([&](const LoopMetrics& l) -> const std::atomic<int64_t>& {
            return l.latency_sum_us_[r];
        });
        append_line(out, "authd_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                    name.c_str(), us / 1e6);
        append_line(out, "authd_http_request_duration_seconds_count{route=\"%s\"} %lld\n",
                    name.c_str(), static_cast<long long>(cumulative));
    }
}

std::string Metrics::render(const Router& router) const {
    std::string out;
    auto route_name = [&](size_t r) -> std::string {
        return r < router.route_count() && r < metric_routes ? router.route(r).pattern
                                                             : "unmatched";
    };
    auto sum = [&](auto getter) {
        int64_t total = 0;
        for (const auto& l : loops_) total += getter(*l).load(std::memory_order_relaxed);
        return total;
    };
    out +=
        "# HELP authd_http_requests_total HTTP requests by route and status.\n"
        "# TYPE authd_http_requests_total counter\n";
    for (size_t r = 0; r <= metric_routes; ++r) {
        for (size_t s = 0; s < tracked_statuses.size(); ++s) {
            int64_t v = sum([&](const LoopMetrics& l) -> const std::atomic<int64_t>& {
                return l.requests_[r][s];
            });
            if (v == 0) continue;
            const char* status = tracked_statuses[s] ? nullptr : "other";
            if (status) {
                append_line(out, "authd_http_requests_total{route=\"%s\",status=\"other\"} %lld\n",
                            route_name(r).c_str(), static_cast<long long>(v));
            } else {
                append_line(out, "authd_http_requests_total{route=\"%s\",status=\"%d\"} %lld\n",
                            route_name(r).c_str(), tracked_statuses[s], static_cast<long long>(v));
            }
        }
    }
    render_latency(out, router);
    out +=
        "# HELP authd_connections_open Open client connections.\n# TYPE authd_connections_open "
        "gauge\n";
    append_line(out, "authd_connections_open %lld\n",
                static_cast<long long>(sum([](const LoopMetrics& l) -> const std::atomic<int64_t>& {
                    return l.connections_open_;
                })));
    out +=
        "# HELP authd_connections_accepted_total Accepted connections.\n"
        "# TYPE authd_connections_accepted_total counter\n";
    append_line(out, "authd_connections_accepted_total %lld\n",
                static_cast<long long>(sum([](const LoopMetrics& l) -> const std::atomic<int64_t>& {
                    return l.connections_total_;
                })));
    for (const auto& source : sources_) source(out);
    return out;
}

}  // namespace authd::http
