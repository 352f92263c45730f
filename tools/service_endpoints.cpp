// /healthz answers while the process serves; /readyz asks the store; /metrics renders
// every loop's counters plus the store and mail-queue gauges.
#include "tools/service_endpoints.hpp"

#include "auth/services.hpp"

namespace authd::tools {
namespace {

void healthz(http::Request&, http::Response& res) {
    res.body = "{\"status\":\"ok\"}";
}

core::Task<http::Response> readyz(http::Request& req) {
    auth::Services& s = auth::services(req);
    store::Done ok = co_await s.store->ping();
    if (!ok) {
        http::Response res =
            http::json_response(503, "{\"status\":\"unavailable\",\"store\":\"down\"}");
        res.header("Retry-After", "1");
        co_return res;
    }
    co_return http::json_response(200, "{\"status\":\"ok\",\"store\":\"ok\"}");
}

void metrics(http::Request& req, http::Response& res) {
    auth::Services& s = auth::services(req);
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = s.metrics->render(*s.router);
}

}  // namespace

void register_service_endpoints(http::Router& router) {
    router.add(http::Method::get, "/healthz", healthz);
    router.add(http::Method::get, "/readyz", readyz);
    router.add(http::Method::get, "/metrics", metrics);
}

}  // namespace authd::tools
