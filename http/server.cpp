// LoopServer: listener, accept, connection table, request pool, timeout sweep, drain.
#include "http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "core/log.hpp"
#include "http/connection.hpp"

namespace authd::http {
namespace {

constexpr core::Millis sweep_interval{250};
constexpr size_t max_pooled_requests = 256;

}  // namespace

int open_listener(const std::string& host, uint16_t port, std::string& error) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        error = "invalid listen address '" + host + "' (expected an IPv4 address)";
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(fd, 4096) < 0) {
        error =
            "cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(errno);
        close(fd);
        return -1;
    }
    return fd;
}

LoopServer::LoopServer(core::Loop& loop, const Router& router, const ServerConfig& config,
                       LoopMetrics& metrics, LoopContext* app_context)
    : loop_(loop),
      router_(router),
      config_(config),
      cors_(config.cors_origins),
      metrics_(metrics),
      app_context_(app_context) {
    accept_completion_ = {&LoopServer::on_accept, this};
    sweep_timer_ = loop_.no_timer();
    drain_timer_ = loop_.no_timer();
}

LoopServer::~LoopServer() {
    if (listen_fd_ >= 0) close(listen_fd_);
}

bool LoopServer::start(std::string& error) {
    if (!buffers_.init(loop_.ring(), 0, config_.recv_buffers, config_.recv_buffer_size, error))
        return false;
    listen_fd_ = open_listener(config_.host, config_.port, error);
    if (listen_fd_ < 0) return false;
    arm_accept();
    schedule_sweep();
    return true;
}

void LoopServer::arm_accept() {
    io_uring_sqe* s = loop_.sqe_for(&accept_completion_);
    io_uring_prep_multishot_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    accept_armed_ = true;
}

void LoopServer::on_accept(core::Completion* c, int32_t res, uint32_t flags) {
    auto* self = static_cast<LoopServer*>(c->owner);
    if (!(flags & IORING_CQE_F_MORE)) self->accept_armed_ = false;
    if (res >= 0) {
        if (self->shutting_down_ || self->connections_.size() >= self->config_.max_connections) {
            close(res);
        } else {
            int one = 1;
            setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto* conn = new Connection(*self, res);
            conn->index = self->connections_.size();
            self->connections_.push_back(conn);
            conn->start();
        }
    } else if (res != -ECANCELED) {
        core::log_warn("http", "accept failed", {{"error", std::strerror(-res)}});
    }
    if (self->accept_armed_) return;
    if (self->shutting_down_) {
        close(self->listen_fd_);
        self->listen_fd_ = -1;
        self->maybe_drained();
    } else if (res == -EMFILE || res == -ENFILE || res == -ENOMEM) {
        // Out of descriptors: pause instead of spinning; the sweep frees idle ones.
        self->loop_.add_timer(self->loop_.now() + core::Millis(100), [self] {
            if (!self->shutting_down_ && !self->accept_armed_) self->arm_accept();
        });
    } else {
        self->arm_accept();
    }
}

Request* LoopServer::acquire_request() {
    if (free_requests_.empty()) return new Request;
    Request* r = free_requests_.back().release();
    free_requests_.pop_back();
    return r;
}

void LoopServer::release_request(Request* r) {
    if (free_requests_.size() >= max_pooled_requests) {
        delete r;
        return;
    }
    r->reset();
    free_requests_.emplace_back(r);
}

void LoopServer::connection_finished(Connection* c) {
    size_t i = c->index;
    connections_[i] = connections_.back();
    connections_[i]->index = i;
    connections_.pop_back();
    metrics_.connection_closed();
    delete c;
    if (shutting_down_) maybe_drained();
}

void LoopServer::schedule_sweep() {
    sweep_timer_ = loop_.add_timer(loop_.now() + sweep_interval, [this] {
        sweep_timer_ = loop_.no_timer();
        sweep_timeouts();
        schedule_sweep();
    });
}

void LoopServer::sweep_timeouts() {
    core::MonoTime now = loop_.now();
    for (TimeoutList* list : {&head_timeouts_, &idle_timeouts_, &linger_timeouts_}) {
        while (list->head && list->head->deadline <= now) {
            Connection* c = list->head;
            c->on_timeout();  // removes c from the list
        }
    }
}

void LoopServer::begin_shutdown(core::UniqueFunction<void()> drained) {
    if (shutting_down_) return;
    shutting_down_ = true;
    drained_ = std::move(drained);
    if (accept_armed_) {
        io_uring_sqe* s = loop_.sqe();
        io_uring_prep_cancel(s, &accept_completion_, 0);
        io_uring_sqe_set_data(s, nullptr);
    } else if (listen_fd_ >= 0) {
        close(listen_fd_);
        listen_fd_ = -1;
    }
    std::vector<Connection*> snapshot = connections_;
    for (Connection* c : snapshot) c->shutdown_gracefully();  // may finish some at once
    drain_timer_ = loop_.add_timer(loop_.now() + config_.drain_timeout, [this] {
        drain_timer_ = loop_.no_timer();
        std::vector<Connection*> rest = connections_;
        for (Connection* c : rest) c->abort();
    });
    drain_timer_set_ = true;
    maybe_drained();
}

void LoopServer::maybe_drained() {
    if (!shutting_down_ || accept_armed_ || !connections_.empty() || !drained_) return;
    if (sweep_timer_ != loop_.no_timer()) loop_.cancel_timer(sweep_timer_);
    sweep_timer_ = loop_.no_timer();
    if (drain_timer_ != loop_.no_timer()) loop_.cancel_timer(drain_timer_);
    drain_timer_ = loop_.no_timer();
    auto done = std::move(drained_);
    drained_ = nullptr;
    done();
}

}  // namespace authd::http
