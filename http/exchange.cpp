// Exchange: parse → dispatch → serialise, in order, with bounded buffers. No socket here;
// the Connection moves bytes and the tests drive it directly.
#include "http/exchange.hpp"

#include <cassert>

#include "http/response_writer.hpp"

namespace authd::http {
namespace {

constexpr size_t max_pooled_requests = 256;
constexpr size_t keep_buffer_capacity = 16 * 1024;

void shrink(std::string& s) {
    if (s.capacity() > keep_buffer_capacity) std::string().swap(s);
}

}  // namespace

Request* RequestPool::acquire() {
    if (free_.empty()) return new Request;
    Request* r = free_.back().release();
    free_.pop_back();
    return r;
}

void RequestPool::release(Request* r) {
    if (free_.size() >= max_pooled_requests) {
        delete r;
        return;
    }
    r->reset();
    free_.emplace_back(r);
}

Exchange::Exchange(ExchangeContext& ctx, Notify notify, void* owner)
    : ctx_(ctx), notify_(notify), owner_(owner) {}

Exchange::~Exchange() {
    assert(!handler_running_ && "an async handler still refers to this exchange");
    release_request();
}

void Exchange::receive(std::string_view data) {
    if (close_after_send_ || input_stopped_) return;  // nothing more is answered: discard
    if (!pending_in_.empty() || !can_parse()) {
        buffer_input(data);  // keeps the order: buffered bytes come first
        resume();
    } else {
        process(data);
    }
    settle();
}

void Exchange::buffer_input(std::string_view data) {
    if (pending_in_.size() + data.size() > input_hard_limit) {
        input_stopped_ = true;  // reads kept coming after the owner was told to stop
        close_after_send_ = true;
        pending_in_.clear();
        shrink(pending_in_);
        return;
    }
    pending_in_.append(data);
}

void Exchange::end_of_input() {
    peer_closed_ = true;
    settle();
}

void Exchange::stop_after_current() {
    // A request whose head or body is still arriving is read to its end and answered with
    // Connection: close (ctx_.shutting_down); anything else ends now.
    if (parser_.in_message() && !handler_running_ && ctx_.shutting_down) return;
    close_after_send_ = true;
    pending_in_.clear();
    settle();
}

void Exchange::abandon() {
    close_after_send_ = true;
    input_stopped_ = true;
    pending_in_.clear();
    shrink(pending_in_);
    settle();
}

// Parses and answers requests from `data` while parsing is allowed; the rest is buffered.
void Exchange::process(std::string_view data) {
    while (!data.empty() && can_parse()) {
        if (!request_) {
            request_ = ctx_.requests->acquire();
            parser_.set_request(request_);
        }
        ParseResult r = parser_.feed(data);
        if (parser_.take_continue_request()) out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        if (r.event == ParseEvent::need_more) return;
        if (r.event == ParseEvent::error) {
            write_error(r.error_status);
            return;
        }
        data.remove_prefix(r.consumed);
        if (!dispatch()) break;
    }
    if (!data.empty() && !close_after_send_ && !input_stopped_) buffer_input(data);
}

// Parses buffered input if it may now be parsed.
void Exchange::resume() {
    if (pending_in_.empty() || !can_parse()) return;
    std::string rest;
    rest.swap(pending_in_);
    process(rest);
    if (pending_in_.empty()) {
        rest.clear();
        pending_in_.swap(rest);  // keep the capacity
    }
}

// Bookkeeping after input or output progressed.
void Exchange::settle() {
    if (handler_running_) return;
    if (!parser_.in_message()) release_request();
    // After the client's EOF nothing new can come: finish once buffered requests are answered
    // (a request cut off by the EOF can never complete).
    if (peer_closed_ && (pending_in_.empty() || input_stopped_)) close_after_send_ = true;
}

std::string_view Exchange::next_send() {
    if (send_offset_ == sending_.size() && !out_.empty()) {
        sending_.clear();
        sending_.swap(out_);
        send_offset_ = 0;
    }
    return std::string_view(sending_).substr(send_offset_);
}

void Exchange::sent(size_t n) {
    assert(n <= sending_.size() - send_offset_);
    send_offset_ += n;
    if (send_offset_ < sending_.size()) return;
    sending_.clear();
    send_offset_ = 0;
    shrink(sending_);
    if (out_.empty()) shrink(out_);
    resume();
    settle();
}

bool Exchange::dispatch() {
    Request& req = *request_;
    req.context = ctx_.app_context;
    req.set_peer_address(peer_);
    request_started_ = core::mono_now();
    head_only_ = req.method == Method::head;  // HEAD never carries a body, on any answer
    if (!req.keep_alive || ctx_.shutting_down) close_after_send_ = true;

    RouteMatch m = ctx_.router->match(req.method, req.path());
    // A route with its own OPTIONS handler (forward auth: a proxy relays any method, and a
    // 204 would read as a denial) answers preflights itself.
    bool own_options = m.route && (m.route->allowed & method_bit(Method::options));
    if (CorsPolicy::is_preflight(req) && !own_options && ctx_.cors->allowed(req.header("origin"))) {
        Response res;
        res.status = 204;
        res.body_is_empty = true;
        write_response(res, metric_routes);
        return true;
    }
    Handler h = m.route ? m.handler : Handler{};
    if (answer_without_handler(req, m, h)) return true;
    req.set_params(m.params, m.param_count);
    if (h.sync) {
        sync_response_.reset();
        h.sync(req, sync_response_);
        write_response(sync_response_, m.route->id);
        sync_response_.body.clear();
        return true;
    }
    task_route_ = m.route->id;
    start_async(h.async, req);
    return !handler_running_;
}

// 404, 405 and OPTIONS; HEAD falls back to the GET handler. True when answered here.
bool Exchange::answer_without_handler(Request& req, const RouteMatch& m, Handler& h) {
    if (!m.route) {
        Response res = detail_response(404, "Not found.");
        write_response(res, metric_routes);
        return true;
    }
    if (!h.sync && !h.async && req.method == Method::head) {
        h = m.route->by_method[static_cast<size_t>(Method::get)];
    }
    if (h.sync || h.async) return false;
    Response res;
    if (req.method == Method::options) {
        res.body =
            "{\"name\":\"authd\",\"renders\":[\"application/json\"],"
            "\"parses\":[\"application/json\",\"application/x-www-form-urlencoded\"]}";
    } else {
        std::string msg = "Method \"";
        msg += req.method_text;
        msg += "\" not allowed.";
        res = detail_response(405, msg);
    }
    res.header("Allow", m.route->allow_header);
    write_response(res, m.route->id);
    return true;
}

void Exchange::start_async(AsyncHandler h, Request& req) {
    handler_running_ = true;
    async_finished_ = false;
    task_ = h(req);
    in_dispatch_ = true;
    task_.start([this] { on_async_done(); });
    in_dispatch_ = false;
    if (async_finished_) {
        Response res = std::move(task_.result());
        task_ = {};
        handler_running_ = false;
        write_response(res, task_route_);
    }
}

void Exchange::on_async_done() {
    if (in_dispatch_) {
        async_finished_ = true;  // finished inside start(); start_async() writes the answer
        return;
    }
    Response res = std::move(task_.result());
    task_ = {};  // frees the finished frame (we run in its final suspend, after its last use)
    handler_running_ = false;
    write_response(res, task_route_);
    resume();
    settle();
    notify_(owner_);  // may destroy this exchange's owner
}

void Exchange::write_response(Response& res, size_t route_id) {
    if (res.close_connection) close_after_send_ = true;
    if (res.status == 204) res.body_is_empty = true;
    size_t body_length = res.body_is_empty ? 0 : res.body.size();
    const Request* req = request_ && parser_.head_complete() ? request_ : nullptr;
    write_head(out_, res, body_length, *ctx_.cors, req, close_after_send_);
    if (!head_only_ && !res.body_is_empty) out_ += res.body;
    auto elapsed = std::chrono::duration<double>(core::mono_now() - request_started_).count();
    ctx_.metrics->count_request(route_id, res.status, elapsed);
}

void Exchange::write_error(int status) {
    Response res;
    switch (status) {
        case 413:
            res = detail_response(413, "Request body is too large.");
            break;
        case 431:
            res = detail_response(431, "Request header fields too large.");
            break;
        case 505:
            res = detail_response(505, "HTTP version not supported.");
            break;
        default:
            res = detail_response(400, "Malformed HTTP request.");
            break;
    }
    request_started_ = core::mono_now();
    input_stopped_ = true;
    close_after_send_ = true;
    pending_in_.clear();
    head_only_ = parser_.head_request();
    write_response(res, metric_routes);
}

void Exchange::release_request() {
    if (!request_) return;
    ctx_.requests->release(request_);
    request_ = nullptr;
    parser_.set_request(nullptr);
}

}  // namespace authd::http
