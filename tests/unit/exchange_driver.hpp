// ExchangeDriver: an http::Exchange with a test router and no socket — the tests (and the
// fuzzer) feed bytes, take the output, and release async handlers by hand.
#pragma once
#include <strings.h>

#include <coroutine>
#include <string>
#include <string_view>
#include <vector>

#include "core/task.hpp"
#include "http/cors.hpp"
#include "http/exchange.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace authd::http::testing_exchange {

// An awaitable that suspends until the test resumes it (deterministic async handlers).
struct Gates {
    std::vector<std::coroutine_handle<>> waiting;
    void open_all() {
        auto w = std::move(waiting);
        waiting.clear();
        for (auto h : w) h.resume();
    }
};
inline Gates* current_gates = nullptr;

struct Gate {
    bool await_ready() { return current_gates == nullptr; }
    void await_suspend(std::coroutine_handle<> h) { current_gates->waiting.push_back(h); }
    void await_resume() {}
};

inline void h_health(Request&, Response& r) {
    r.body = R"({"status":"ok"})";
}
inline void h_echo(Request& req, Response& r) {
    r.content_type = "text/plain";
    r.body = "len=" + std::to_string(req.body().size()) +
             " body=" + std::string(req.body().substr(0, 32)) +
             " auth=" + std::string(req.header("authorization"));
}
inline void h_big(Request&, Response& r) {
    r.body.assign(20000, 'x');
}
inline void h_path(Request& req, Response& r) {
    r.body = std::string(req.path()) + "?" + std::string(req.query());
}
inline core::Task<Response> h_async(Request& req) {
    std::string id(req.param(0));
    co_await Gate{};
    co_return detail_response(200, "async " + id);
}

class ExchangeDriver {
  public:
    explicit ExchangeDriver(std::vector<std::string> origins = {})
        : cors_(std::move(origins)), metrics_(1), exchange_(ctx_, &on_notify, this) {
        router_.add(Method::get, "/healthz", h_health);
        router_.add(Method::post, "/echo/", h_echo);
        router_.add(Method::get, "/big/", h_big);
        router_.add(Method::get, "/path/", h_path);
        router_.add(Method::get, "/async/<int:id>/", h_async);
        router_.add(Method::post, "/async/<int:id>/", h_async);
        ctx_.router = &router_;
        ctx_.cors = &cors_;
        ctx_.metrics = &metrics_.loop(0);
        ctx_.requests = &pool_;
        current_gates = &gates_;
    }
    ~ExchangeDriver() {
        gates_.open_all();
        current_gates = nullptr;
    }

    Exchange& exchange() { return exchange_; }
    void feed(std::string_view bytes) { exchange_.receive(bytes); }
    // Takes everything the exchange has to send, acknowledging it as sent.
    std::string drain() {
        std::string out;
        for (;;) {
            std::string_view v = exchange_.next_send();
            if (v.empty()) return out;
            out.append(v);
            exchange_.sent(v.size());
        }
    }
    std::string run(std::string_view bytes) {
        feed(bytes);
        return drain();
    }
    void release_async() { gates_.open_all(); }
    size_t waiting_handlers() const { return gates_.waiting.size(); }
    int notifications = 0;

  private:
    static void on_notify(void* self) { ++static_cast<ExchangeDriver*>(self)->notifications; }

    Router router_;
    CorsPolicy cors_;
    Metrics metrics_;
    RequestPool pool_;
    ExchangeContext ctx_;
    Gates gates_;
    Exchange exchange_;
};

struct Answer {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string header(std::string_view name) const {
        for (const auto& [k, v] : headers) {
            if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0)
                return v;
        }
        return "<absent>";
    }
};

// Splits concatenated responses; `head_request[i]` says the i-th answer has no body.
inline std::vector<Answer> split_answers(std::string_view data,
                                         const std::vector<bool>& head_request = {}) {
    std::vector<Answer> out;
    while (!data.empty()) {
        size_t end = data.find("\r\n\r\n");
        if (end == std::string_view::npos) break;
        std::string_view head = data.substr(0, end);
        data.remove_prefix(end + 4);
        Answer a;
        size_t line_end = head.find("\r\n");
        a.status = std::stoi(std::string(head.substr(9, 3)));
        head = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
        while (!head.empty()) {
            size_t e = head.find("\r\n");
            std::string_view line = head.substr(0, e);
            size_t colon = line.find(':');
            a.headers.emplace_back(std::string(line.substr(0, colon)),
                                   std::string(line.substr(colon + 2)));
            head = e == std::string_view::npos ? std::string_view{} : head.substr(e + 2);
        }
        bool no_body = a.status < 200 || a.status == 204 ||
                       (out.size() < head_request.size() && head_request[out.size()]);
        if (!no_body && a.header("Content-Length") != "<absent>") {
            size_t n = std::stoul(a.header("Content-Length"));
            a.body = std::string(data.substr(0, n));
            data.remove_prefix(std::min(n, data.size()));
        }
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace authd::http::testing_exchange
