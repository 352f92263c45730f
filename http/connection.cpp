// Connection: recv → parse → dispatch → respond, in order, with timeouts and a careful
// close (shutdown, wait for the multishot recv to end, then close the fd and free).
#include "http/connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <charconv>
#include <cstring>

#include "http/http_date.hpp"
#include "http/limits.hpp"
#include "http/server.hpp"

namespace authd::http {
namespace {

constexpr size_t max_pending_input = 4 * (max_head_bytes + max_body_bytes);
constexpr core::Millis linger_timeout{2000};
constexpr size_t keep_buffer_capacity = 16 * 1024;

void append_number(std::string& out, size_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, end);
}

}  // namespace

Connection::Connection(LoopServer& server, int fd) : server_(server), fd_(fd) {
    recv_completion_ = {&Connection::on_recv, this};
    send_completion_ = {&Connection::on_send, this};
}

Connection::~Connection() {
    assert(!recv_armed_ && !send_in_flight_ && !handler_running_);
    release_request();
    if (fd_ >= 0) close(fd_);
}

void Connection::start() {
    server_.metrics().connection_opened();
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        if (addr.ss_family == AF_INET) {
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, peer_,
                      sizeof peer_);
        } else if (addr.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, peer_,
                      sizeof peer_);
        }
    }
    arm_recv();
    set_timeout(&server_.head_timeouts(), server_.config().header_timeout);
}

void Connection::arm_recv() {
    io_uring_sqe* s = server_.loop().sqe_for(&recv_completion_);
    io_uring_prep_recv_multishot(s, fd_, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = server_.buffers().group_id();
    recv_armed_ = true;
}

void Connection::on_recv(core::Completion* c, int32_t res, uint32_t flags) {
    auto* self = static_cast<Connection*>(c->owner);
    bool more = flags & IORING_CQE_F_MORE;
    if (!more) self->recv_armed_ = false;
    if (res > 0) {
        assert(flags & IORING_CQE_F_BUFFER);
        auto bid = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
        std::string_view data(self->server_.buffers().buffer(bid), static_cast<size_t>(res));
        if (self->closing_ || self->reading_stopped_) {
            // discard: closing, or lingering after an error response
        } else if (self->handler_running_) {
            if (self->pending_in_.size() + data.size() > max_pending_input) {
                self->reading_stopped_ = true;  // a client flooding pipelined bytes: stop reading
                self->close_after_send_ = true;
            } else {
                self->pending_in_.append(data);
            }
        } else {
            self->process(data);
        }
        self->server_.buffers().recycle(bid);
        if (!self->recv_armed_ && !self->closing_) self->arm_recv();
    } else if (res == -ENOBUFS) {
        if (!self->closing_) self->arm_recv();  // buffers were recycled during this batch
    } else if (res == 0 && !self->closing_ && !self->lingering_) {
        // EOF: the client may have half-closed after its last request; answer it first.
        // While an async handler runs, the requests it already sent wait in pending_in_:
        // they are still answered (process() closes once they are done).
        self->peer_closed_ = true;
        if (!self->handler_running_) self->close_after_send_ = true;
        self->after_output();
    } else {
        self->begin_close();
    }
    self->maybe_finish_close();
}

void Connection::process(std::string_view data) {
    while (!closing_) {
        if (!request_) {
            request_ = server_.acquire_request();
            parser_.set_request(request_);
        }
        ParseResult r = parser_.feed(data);
        if (parser_.take_continue_request()) out_ += "HTTP/1.1 100 Continue\r\n\r\n";
        if (r.event == ParseEvent::need_more) break;
        if (r.event == ParseEvent::error) {
            reading_stopped_ = true;
            close_after_send_ = true;
            write_error(r.error_status);
            break;
        }
        data.remove_prefix(r.consumed);
        if (!dispatch()) {
            pending_in_.append(data);  // parsed once the handler is done
            break;
        }
        if (close_after_send_ || data.empty()) break;
    }
    if (!handler_running_ && !parser_.in_message()) release_request();
    if (peer_closed_ && !handler_running_) close_after_send_ = true;  // nothing more will come
    flush();
    after_output();
}

bool Connection::dispatch() {
    Request& req = *request_;
    req.context = server_.app_context();
    req.set_peer_address(peer_);
    request_started_ = core::mono_now();
    head_only_ = false;
    if (!req.keep_alive || server_.shutting_down()) close_after_send_ = true;

    const CorsPolicy& cors = server_.cors();
    RouteMatch m = server_.router().match(req.method, req.path());
    // A route with its own OPTIONS handler (forward auth: a proxy relays any method, and a
    // 204 would read as a denial) answers preflights itself.
    bool own_options = m.route && (m.route->allowed & method_bit(Method::options));
    if (CorsPolicy::is_preflight(req) && !own_options && cors.allowed(req.header("origin"))) {
        Response res;
        res.status = 204;
        res.body_is_empty = true;
        write_response(res, metric_routes);
        return true;
    }
    if (!m.route) {
        Response res = detail_response(404, "Not found.");
        write_response(res, metric_routes);
        return true;
    }
    Handler h = m.handler;
    if (!h.sync && !h.async && req.method == Method::head) {
        h = m.route->by_method[static_cast<size_t>(Method::get)];
        head_only_ = h.sync || h.async;
    }
    if (!h.sync && !h.async) {
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
    req.set_params(m.params, m.param_count);
    if (h.sync) {
        run_sync(h.sync, req, m.route->id);
        sync_response_.body.clear();
        return true;
    }
    task_route_ = m.route->id;
    start_async(h.async, req);
    return !handler_running_;
}

void Connection::run_sync(SyncHandler h, Request& req, size_t route_id) {
    sync_response_.reset();
    h(req, sync_response_);
    write_response(sync_response_, route_id);
}

void Connection::start_async(AsyncHandler h, Request& req) {
    handler_running_ = true;
    async_finished_ = false;
    clear_timeout();
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

void Connection::on_async_done() {
    if (in_dispatch_) {
        async_finished_ = true;  // finished inside start(); start_async() writes the answer
        return;
    }
    Response res = std::move(task_.result());
    task_ = {};  // frees the finished frame (we run in its final suspend, after its last use)
    handler_running_ = false;
    if (!closing_) {
        write_response(res, task_route_);
        std::string rest;
        rest.swap(pending_in_);
        if (!rest.empty() && !close_after_send_) {
            process(rest);
        } else {
            if (!parser_.in_message()) release_request();
            if (peer_closed_) close_after_send_ = true;
            flush();
            after_output();
        }
    }
    maybe_finish_close();
}

void Connection::write_head(const Response& res, size_t body_length) {
    out_ += "HTTP/1.1 ";
    append_number(out_, static_cast<size_t>(res.status));
    out_ += ' ';
    out_ += reason_phrase(res.status);
    out_ += "\r\nDate: ";
    out_ += http_date();
    out_ += "\r\n";
    if (!res.body_is_empty) {
        out_ += "Content-Type: ";
        out_ += res.content_type;
        out_ += "\r\nContent-Length: ";
        append_number(out_, body_length);
        out_ += "\r\n";
    }
    out_ += "X-Content-Type-Options: nosniff\r\n";
    if (res.no_store) out_ += "Cache-Control: no-store\r\n";
    for (const auto& [name, value] : res.headers) {
        out_ += name;
        out_ += ": ";
        out_ += value;
        out_ += "\r\n";
    }
    const CorsPolicy& cors = server_.cors();
    bool head_parsed = request_ && parser_.head_complete();
    if (cors.enabled()) {
        out_ += "Vary: Origin\r\n";
        std::string_view origin = head_parsed ? request_->header("origin") : std::string_view{};
        if (cors.allowed(origin)) {
            cors.append_response_headers(out_, origin);
            if (CorsPolicy::is_preflight(*request_)) cors.append_preflight_headers(out_);
        }
    }
    if (close_after_send_) {
        out_ += "Connection: close\r\n";
    } else if (head_parsed && request_->version_minor == 0) {
        out_ += "Connection: keep-alive\r\n";
    }
    out_ += "\r\n";
}

void Connection::write_response(Response& res, size_t route_id) {
    if (res.close_connection) close_after_send_ = true;
    if (res.status == 204) res.body_is_empty = true;
    size_t body_length = res.body_is_empty ? 0 : res.body.size();
    write_head(res, body_length);
    if (!head_only_ && !res.body_is_empty) out_ += res.body;
    auto elapsed = std::chrono::duration<double>(core::mono_now() - request_started_).count();
    server_.metrics().count_request(route_id, res.status, elapsed);
}

void Connection::write_error(int status) {
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
    close_after_send_ = true;
    write_response(res, metric_routes);
}

void Connection::flush() {
    if (send_in_flight_ || out_.empty() || closing_) return;
    sending_.swap(out_);
    out_.clear();
    send_offset_ = 0;
    submit_send();
}

void Connection::submit_send() {
    io_uring_sqe* s = server_.loop().sqe_for(&send_completion_);
    io_uring_prep_send(s, fd_, sending_.data() + send_offset_, sending_.size() - send_offset_,
                       MSG_NOSIGNAL);
    send_in_flight_ = true;
}

void Connection::on_send(core::Completion* c, int32_t res, uint32_t) {
    auto* self = static_cast<Connection*>(c->owner);
    self->send_in_flight_ = false;
    if (res < 0 || self->closing_) {
        self->begin_close();
    } else {
        self->send_offset_ += static_cast<size_t>(res);
        if (self->send_offset_ < self->sending_.size()) {
            self->submit_send();
            return;
        }
        self->sending_.clear();
        if (self->sending_.capacity() > keep_buffer_capacity) std::string().swap(self->sending_);
        self->flush();
        self->after_output();
    }
    self->maybe_finish_close();
}

// Decides what comes after output settled: close, linger, or wait for the next request.
void Connection::after_output() {
    if (closing_ || handler_running_) return;
    if (send_in_flight_ || !out_.empty()) {
        update_timeout_state();
        return;
    }
    if (close_after_send_) {
        if (reading_stopped_ && !peer_closed_) {
            begin_linger();
        } else {
            begin_close();
        }
        return;
    }
    if (out_.capacity() > keep_buffer_capacity) std::string().swap(out_);
    update_timeout_state();
}

// After an error answer, shut our write side and discard input for a moment so the
// client reads the answer instead of a reset caused by its unread bytes.
void Connection::begin_linger() {
    if (lingering_) return;
    lingering_ = true;
    reading_stopped_ = true;
    ::shutdown(fd_, SHUT_WR);
    set_timeout(&server_.linger_timeouts(), linger_timeout);
}

void Connection::shutdown_gracefully() {
    bool busy = handler_running_ || parser_.in_message() || send_in_flight_ || !out_.empty();
    close_after_send_ = true;
    if (!busy) begin_close();
    maybe_finish_close();
}

void Connection::begin_close() {
    if (closing_) return;
    closing_ = true;
    clear_timeout();
    ::shutdown(fd_, SHUT_RDWR);
    if (recv_armed_) {
        io_uring_sqe* s = server_.loop().sqe();
        io_uring_prep_cancel(s, &recv_completion_, 0);
        io_uring_sqe_set_data(s, nullptr);
    }
}

void Connection::maybe_finish_close() {
    if (!closing_ || recv_armed_ || send_in_flight_ || handler_running_) return;
    server_.connection_finished(this);  // deletes this
}

void Connection::release_request() {
    if (request_) {
        server_.release_request(request_);
        request_ = nullptr;
        parser_.set_request(nullptr);
    }
}

void Connection::set_timeout(TimeoutList* list, core::Millis timeout) {
    clear_timeout();
    deadline = server_.loop().now() + timeout;
    timeout_list = list;
    timeout_prev = list->tail;
    timeout_next = nullptr;
    if (list->tail) {
        list->tail->timeout_next = this;
    } else {
        list->head = this;
    }
    list->tail = this;
}

void Connection::clear_timeout() {
    if (!timeout_list) return;
    if (timeout_prev) {
        timeout_prev->timeout_next = timeout_next;
    } else {
        timeout_list->head = timeout_next;
    }
    if (timeout_next) {
        timeout_next->timeout_prev = timeout_prev;
    } else {
        timeout_list->tail = timeout_prev;
    }
    timeout_prev = timeout_next = nullptr;
    timeout_list = nullptr;
}

void Connection::update_timeout_state() {
    if (closing_ || lingering_) return;
    if (handler_running_) {
        clear_timeout();
    } else if (parser_.in_message() && !parser_.head_complete()) {
        // The head deadline starts with the request's first bytes and is not extended.
        if (timeout_list != &server_.head_timeouts()) {
            set_timeout(&server_.head_timeouts(), server_.config().header_timeout);
        }
    } else if (!parser_.in_message() || timeout_list != &server_.idle_timeouts()) {
        // Waiting for the next request (or a body): the idle limit restarts on progress.
        set_timeout(&server_.idle_timeouts(), server_.config().idle_timeout);
    }
}

}  // namespace authd::http
