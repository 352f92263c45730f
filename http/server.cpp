// LoopServer: listener, accept, connection table, request pool, drain.
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

constexpr core::Millis accept_pause{100};

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
      accept_pause_timer_(&LoopServer::on_accept_pause, this),
      drain_timer_(&LoopServer::on_drain_deadline, this) {
    accept_completion_ = {&LoopServer::on_accept, this};
    exchange_context_.router = &router_;
    exchange_context_.cors = &cors_;
    exchange_context_.metrics = &metrics_;
    exchange_context_.app_context = app_context;
    exchange_context_.requests = &requests_;
}

LoopServer::~LoopServer() {
    if (listen_fd_ >= 0) close(listen_fd_);
}

bool LoopServer::start(std::string& error) {
    if (!buffers_.init(loop_, 0, config_.recv_buffers, config_.recv_buffer_size, error))
        return false;
    listen_fd_ = open_listener(config_.host, config_.port, error);
    if (listen_fd_ < 0) return false;
    arm_accept();
    return true;
}

void LoopServer::arm_accept() {
    loop_.accept(listen_fd_, &accept_completion_);
    accept_armed_ = true;
}

void LoopServer::on_accept(core::Completion* c, int32_t res, uint32_t flags) {
    auto* self = static_cast<LoopServer*>(c->owner);
    if (!core::completion_more(flags)) self->accept_armed_ = false;
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
        // Out of descriptors: pause instead of spinning; timeouts free idle ones.
        self->loop_.arm(self->accept_pause_timer_, self->loop_.now() + accept_pause);
    } else {
        self->arm_accept();
    }
}

void LoopServer::on_accept_pause(core::Timer* t) {
    auto* self = static_cast<LoopServer*>(t->owner);
    if (!self->shutting_down_ && !self->accept_armed_) self->arm_accept();
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

void LoopServer::begin_shutdown(core::UniqueFunction<void()> drained) {
    if (shutting_down_) return;
    shutting_down_ = true;
    exchange_context_.shutting_down = true;
    loop_.disarm(accept_pause_timer_);
    drained_ = std::move(drained);
    if (accept_armed_) {
        loop_.cancel(listen_fd_, &accept_completion_);
    } else if (listen_fd_ >= 0) {
        close(listen_fd_);
        listen_fd_ = -1;
    }
    std::vector<Connection*> snapshot = connections_;
    for (Connection* c : snapshot) c->shutdown_gracefully();  // may finish some at once
    loop_.arm(drain_timer_, loop_.now() + config_.drain_timeout);
    maybe_drained();
}

void LoopServer::on_drain_deadline(core::Timer* t) {
    auto* self = static_cast<LoopServer*>(t->owner);
    std::vector<Connection*> rest = self->connections_;
    for (Connection* c : rest) c->abort();
}

void LoopServer::maybe_drained() {
    if (!shutting_down_ || accept_armed_ || !connections_.empty() || !drained_) return;
    loop_.disarm(drain_timer_);
    auto done = std::move(drained_);
    drained_ = nullptr;
    done();
}

}  // namespace authd::http
