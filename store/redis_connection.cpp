// RedisConnection: hiredis's event hooks mapped onto the loop's one-shot polls, the reply
// callbacks, command timeouts, reconnection with backoff and the per-thread registry.
//
// Lifetimes: hiredis calls back into this object only while ctx_ (or a context being freed
// by drop()) exists. Poll completions carry the generation of the context they were armed
// for; one that arrives for an older context is ignored. A reply callback never resumes a
// coroutine directly: answered requests wait on a ready list that is drained once hiredis
// has returned, so a resumed coroutine may freely send again.
#include "store/redis_connection.hpp"

#include <poll.h>

#include <algorithm>

#include "core/log.hpp"

namespace authd::store {
namespace {

// One connection per (thread, store). Destroyed at thread exit, after the thread's loop ran.
struct Registry {
    std::vector<std::unique_ptr<RedisConnection>> connections;
};
thread_local Registry registry;

std::string reply_text(const redisReply* r) {
    return r && r->str ? std::string(r->str, r->len) : std::string();
}

}  // namespace

RedisConnection::RedisConnection(std::shared_ptr<const RedisEndpoint> endpoint)
    : endpoint_(std::move(endpoint)),
      backoff_(endpoint_->backoff_min),
      alive_(std::make_shared<Alive>(Alive{this})) {
    read_completion_ = {&RedisConnection::on_read_cqe, this};
    write_completion_ = {&RedisConnection::on_write_cqe, this};
}

RedisConnection::~RedisConnection() {
    alive_->self = nullptr;
    // Never touch a ring here: at thread exit the loop has stopped (or is already gone).
    loop_ = nullptr;
    if (ctx_) drop("connection closed", /*abandon=*/true);
}

// ---- the per-thread registry ------------------------------------------------------------

RedisConnection* RedisConnection::for_this_thread(
    const std::shared_ptr<const RedisEndpoint>& endpoint) {
    if (!core::Loop::current()) return nullptr;
    auto& list = registry.connections;
    RedisConnection* found = nullptr;
    for (size_t i = 0; i < list.size();) {
        RedisConnection* c = list[i].get();
        if (c->endpoint_ == endpoint) {
            found = c;
        } else if (c->endpoint_->closed.load(std::memory_order_acquire) && c->retire()) {
            list.erase(list.begin() + static_cast<ptrdiff_t>(i));
            continue;
        }
        ++i;
    }
    if (!found) {
        list.push_back(std::make_unique<RedisConnection>(endpoint));
        found = list.back().get();
    }
    return found;
}

// True when this connection can be deleted now (its store closed); false: try again later.
bool RedisConnection::retire() {
    if (dispatch_depth_ > 0) return false;
    if (!on_live_loop()) {
        // Bound to a loop that no longer runs: nothing of it can call us back.
        loop_ = nullptr;
        if (ctx_) drop("store closed", /*abandon=*/true);
        return true;
    }
    if (pending_ > 0) return false;  // let the owed replies (or their timeout) arrive first
    if (ctx_) drop("store closed", /*abandon=*/false);
    return quiescent();  // false until the cancelled polls have completed
}

// ---- binding to the calling loop ---------------------------------------------------------

bool RedisConnection::on_live_loop() const {
    return loop_ && core::Loop::current() == loop_ && loop_->serial() == loop_serial_;
}

bool RedisConnection::bind_current_loop() {
    core::Loop* loop = core::Loop::current();
    if (!loop) return false;
    if (loop == loop_ && loop->serial() == loop_serial_) return true;
    // A different loop (a start-up loop was replaced): what was armed on the old one is gone.
    read_armed_ = write_armed_ = false;
    timer_armed_ = false;
    ++timer_seq_;
    reconnect_scheduled_ = false;
    loop_ = loop;
    loop_serial_ = loop->serial();
    if (ctx_) {
        if (pending_ > 0 || !connected_) {
            drop("loop changed", /*abandon=*/true);  // its waiters belonged to the old loop
        } else {
            arm_read();
            arm_write();
        }
    }
    return true;
}

// ---- connecting ----------------------------------------------------------------------------

bool RedisConnection::connect() {
    // Backing off: fail fast, unless another connection has got through meanwhile.
    uint64_t connects = endpoint_->connects.load(std::memory_order_relaxed);
    if (loop_->now() < retry_at_ && connects == connects_seen_) return false;
    // The generation first: a redirect landing in between then only costs a reconnect.
    target_gen_ = endpoint_->target_generation();
    address_ = endpoint_->target();
    redisAsyncContext* ac = redisAsyncConnect(address_.host.c_str(), address_.port);
    if (!ac) {
        note_failure("out of memory");
        return false;
    }
    if (ac->err) {
        std::string why = ac->c.errstr;
        redisAsyncFree(ac);
        note_failure(why);
        note_connect_failed();
        return false;
    }
    ctx_ = ac;
    connected_ = false;
    ++gen_;
    pending_ = 0;
    ac->data = this;
    ac->ev.data = this;
    ac->ev.addRead = &RedisConnection::ev_add_read;
    ac->ev.delRead = &RedisConnection::ev_del_read;
    ac->ev.addWrite = &RedisConnection::ev_add_write;
    ac->ev.delWrite = &RedisConnection::ev_del_write;
    ac->ev.cleanup = &RedisConnection::ev_cleanup;
    redisEnableKeepAlive(&ac->c);  // notices a silently dead peer (matters for the subscriber)
    redisAsyncSetDisconnectCallback(ac, &RedisConnection::on_disconnect_cb);
    redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect_cb);  // asks for POLLOUT
    start_handshake();
    return true;
}

// A redirected node that cannot be reached (it died in a failover, say): the next connect
// asks the seed, which answers MOVED with the slot's new owner.
void RedisConnection::note_connect_failed() {
    endpoint_->forget_redirect(address_);
}

// Before a command: an idle connection made for an older target (another connection heard a
// MOVED meanwhile) moves now rather than collect a MOVED of its own. Subscribers stay put:
// on a Cluster, PUBLISH reaches every node.
void RedisConnection::follow_target() {
    if (!ctx_ || target_gen_ == endpoint_->target_generation()) return;
    if (pending_ > 0 || !sub_channel_.empty()) return;  // busy: replies owed here
    target_gen_ = endpoint_->target_generation();
    if (endpoint_->target() == address_) return;
    drop("the store's Redis node changed", /*abandon=*/false);
    retry_at_ = {};  // not a failure: connect at once
}

void RedisConnection::follow_moved(std::string_view error) {
    std::optional<RedisRedirect> moved = parse_moved(error);
    if (!moved) {
        if (!moved_malformed_logged_) {
            core::log_warn(
                "redis", "ignoring a malformed Redis Cluster MOVED reply",
                {{"error", error.substr(0, 120)}, {"address", format_redis_address(address_)}});
        }
        moved_malformed_logged_ = true;
        return;
    }
    if (endpoint_->redirect(*moved, address_)) reset("Redis Cluster redirect (MOVED)");
}

// Queued before anything else, so their replies come first (hiredis pipelines them).
void RedisConnection::start_handshake() {
    const RedisUrl& u = endpoint_->url;
    if (!u.password.empty()) {
        RedisArgs a;
        a.add("AUTH");
        if (!u.username.empty()) a.add(u.username);
        a.add(u.password);
        queue(auth_request_, a, true);
    }
    if (u.db != 0) {
        RedisArgs a;
        a.add("SELECT").add(int64_t{u.db});
        queue(select_request_, a, true);
    }
    if (!endpoint_->client_name.empty()) {
        RedisArgs a;
        a.add("CLIENT").add("SETNAME").add(endpoint_->client_name);
        queue(name_request_, a, true);
    }
    if (!sub_channel_.empty()) {
        RedisArgs a;
        a.add("SUBSCRIBE").add(sub_channel_);
        queue(sub_request_, a, false);  // its replies go to the subscription, not the queue
    }
}

void RedisConnection::note_failure(std::string_view why) {
    if (!ever_failed_) {
        core::log_warn("redis", "Redis connection failed or lost; retrying with backoff",
                       {{"address", format_redis_address(address_)}, {"error", why}});
    }
    ever_failed_ = true;
    connects_seen_ = endpoint_->connects.load(std::memory_order_relaxed);
    core::MonoTime now = loop_ ? loop_->now() : core::mono_now();
    retry_at_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, endpoint_->backoff_max);
}

void RedisConnection::drop(std::string_view why, bool abandon) {
    redisAsyncContext* ac = ctx_;
    if (!ac) return;
    ctx_ = nullptr;  // our callbacks see it gone; on_disconnect_cb ignores it
    connected_ = false;
    abandoning_ = abandon;
    if (!abandon && loop_)
        core::log(core::LogLevel::debug, "redis", "dropping connection", {{"why", why}});
    redisAsyncFree(ac);  // pending replies fail (nullptr), ev_cleanup cancels our polls
    abandoning_ = false;
    pending_ = 0;
    if (!abandon && !sub_channel_.empty() && sub_handler_) sub_handler_->on_lost();
}

void RedisConnection::reset(std::string_view why) {
    if (!ctx_) return;
    core::log_warn("redis", "resetting the Redis connection", {{"why", why}});
    drop(why, /*abandon=*/false);
    retry_at_ = {};  // reconnect at the next use
    schedule_reconnect();
    dispatch_ready();
}

void RedisConnection::subscribe(std::string channel, SubscriptionHandler* handler) {
    sub_channel_ = std::move(channel);
    sub_handler_ = handler;
    if (!bind_current_loop()) return;
    if (!ctx_ && !connect()) schedule_reconnect();
}

void RedisConnection::schedule_reconnect() {
    if (reconnect_scheduled_ || sub_channel_.empty() || ctx_ || !on_live_loop()) return;
    reconnect_scheduled_ = true;
    core::MonoTime at = std::max(retry_at_, loop_->now());
    loop_->add_timer(at, [alive = alive_, seq = timer_seq_] {
        RedisConnection* self = alive->self;
        if (!self || self->timer_seq_ != seq) return;
        self->reconnect_scheduled_ = false;
        if (!self->ctx_ && !self->connect()) self->schedule_reconnect();
    });
}

// ---- commands ------------------------------------------------------------------------------

bool RedisConnection::send(RedisRequest& request, const RedisArgs& args) {
    if (!bind_current_loop()) return false;
    follow_target();
    if (!ctx_ && !connect()) return false;
    return queue(request, args, true);
}

bool RedisConnection::queue(RedisRequest& request, const RedisArgs& args, bool counted) {
    constexpr size_t inline_args = 32;
    const char* argv_inline[inline_args];
    size_t lens_inline[inline_args];
    std::vector<const char*> argv_heap;
    std::vector<size_t> lens_heap;
    const char** argv = argv_inline;
    size_t* lens = lens_inline;
    if (args.size() > inline_args) {
        argv_heap.resize(args.size());
        lens_heap.resize(args.size());
        argv = argv_heap.data();
        lens = lens_heap.data();
    }
    for (size_t i = 0; i < args.size(); ++i) {
        argv[i] = args[i].data();
        lens[i] = args[i].size();
    }
    request.deadline_ = loop_->now() + endpoint_->command_timeout;
    request.next_ready_ = nullptr;
    if (redisAsyncCommandArgv(ctx_, &RedisConnection::on_reply_cb, &request,
                              static_cast<int>(args.size()), argv, lens) != REDIS_OK) {
        return false;
    }
    if (counted) {
        ++pending_;
        arm_timer(request.deadline_);
    }
    return true;
}

void RedisConnection::on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    auto* request = static_cast<RedisRequest*>(privdata);
    if (!self || !request) return;
    if (request != &self->sub_request_ && self->pending_ > 0) --self->pending_;
    if (self->abandoning_) return;  // the waiter's loop is gone: touch nothing of it
    request->on_reply(static_cast<const redisReply*>(reply));
    if (request->waiter) self->push_ready(request);
}

void RedisConnection::push_ready(RedisRequest* r) {
    r->next_ready_ = nullptr;
    if (ready_tail_) {
        ready_tail_->next_ready_ = r;
    } else {
        ready_head_ = r;
    }
    ready_tail_ = r;
}

void RedisConnection::dispatch_ready() {
    if (dispatch_depth_ > 0) return;  // the outer dispatch picks up what was added
    ++dispatch_depth_;
    while (RedisRequest* r = ready_head_) {
        ready_head_ = r->next_ready_;
        if (!ready_head_) ready_tail_ = nullptr;
        std::coroutine_handle<> h = r->waiter;  // r lives in h's frame: read before resuming
        h.resume();
    }
    --dispatch_depth_;
}

void RedisConnection::InternalRequest::on_reply(const redisReply* reply) {
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        core::log_error("redis",
                        std::string(what_) + " was refused by Redis; dropping the connection",
                        {{"error", reply_text(reply)}});
        owner_->handshake_refused_ = true;
    }
}

void RedisConnection::SubscribeRequest::on_reply(const redisReply* reply) {
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 || !owner_->sub_handler_)
        return;
    const redisReply* kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING) return;
    std::string_view k(kind->str, kind->len);
    if (k == "subscribe") {
        owner_->sub_handler_->on_subscribed();
    } else if (k == "message" && reply->element[2]->type == REDIS_REPLY_STRING) {
        owner_->sub_handler_->on_message(
            std::string_view(reply->element[2]->str, reply->element[2]->len));
    }
}

// ---- timeouts ------------------------------------------------------------------------------

// One timer per connection, at the oldest owed reply's deadline (replies come in order).
void RedisConnection::arm_timer(core::MonoTime deadline) {
    if (timer_armed_ || !on_live_loop()) return;
    timer_armed_ = true;
    timer_at_ = deadline;
    loop_->add_timer(deadline, [alive = alive_, seq = timer_seq_] {
        RedisConnection* self = alive->self;
        if (self && self->timer_seq_ == seq) self->on_timer();
    });
}

void RedisConnection::on_timer() {
    timer_armed_ = false;
    if (!ctx_ || pending_ == 0 || !ctx_->replies.head) return;
    auto* oldest = static_cast<RedisRequest*>(ctx_->replies.head->privdata);
    if (!oldest) return;
    if (oldest->deadline_ > loop_->now()) {
        arm_timer(oldest->deadline_);
        return;
    }
    // Replies are matched to commands by order, so one late reply spoils the connection.
    core::log_warn("redis", "Redis did not answer in time; dropping the connection",
                   {{"address", format_redis_address(address_)},
                    {"timeout_ms", std::to_string(endpoint_->command_timeout.count())},
                    {"pending", std::to_string(pending_)}});
    ever_failed_ = true;
    endpoint_->timeouts.fetch_add(1, std::memory_order_relaxed);
    bool never_connected = !connected_;  // the node did not even accept the connection
    drop("timeout", /*abandon=*/false);
    note_failure("command timeout");
    if (never_connected) note_connect_failed();
    schedule_reconnect();
    dispatch_ready();
}

// ---- readiness polls -------------------------------------------------------------------------

void RedisConnection::arm_read() {
    if (!want_read_ || read_armed_ || !ctx_ || !on_live_loop()) return;
    poll_fd_ = ctx_->c.fd;
    loop_->poll(poll_fd_, POLLIN, &read_completion_);
    read_armed_ = true;
    read_gen_ = gen_;
}

void RedisConnection::arm_write() {
    if (!want_write_ || write_armed_ || !ctx_ || !on_live_loop()) return;
    poll_fd_ = ctx_->c.fd;
    loop_->poll(poll_fd_, POLLOUT, &write_completion_);
    write_armed_ = true;
    write_gen_ = gen_;
}

void RedisConnection::on_read_cqe(core::Completion* c, int32_t, uint32_t) {
    auto* self = static_cast<RedisConnection*>(c->owner);
    self->read_armed_ = false;
    if (self->ctx_ && self->read_gen_ == self->gen_) {
        ++self->dispatch_depth_;
        redisAsyncHandleRead(self->ctx_);  // may free the context (peer closed)
        --self->dispatch_depth_;
    }
    self->after_io();
}

void RedisConnection::on_write_cqe(core::Completion* c, int32_t, uint32_t) {
    auto* self = static_cast<RedisConnection*>(c->owner);
    self->write_armed_ = false;
    if (self->ctx_ && self->write_gen_ == self->gen_) {
        ++self->dispatch_depth_;
        redisAsyncHandleWrite(self->ctx_);  // completes the connect, then writes the batch
        --self->dispatch_depth_;
    }
    self->after_io();
}

// Outside hiredis again: act on a refused handshake, re-arm, resume the answered waiters.
void RedisConnection::after_io() {
    if (handshake_refused_) {
        handshake_refused_ = false;
        drop("handshake refused", /*abandon=*/false);
        note_failure("AUTH or SELECT refused");
        schedule_reconnect();
    }
    arm_read();
    arm_write();
    dispatch_ready();
}

// hiredis asks for level-triggered interest; a one-shot poll is re-armed after each
// completion for as long as the interest lasts.
void RedisConnection::ev_add_read(void* p) {
    auto* self = static_cast<RedisConnection*>(p);
    self->want_read_ = true;
    self->arm_read();
}

void RedisConnection::ev_del_read(void* p) {
    static_cast<RedisConnection*>(p)->want_read_ = false;
}

void RedisConnection::ev_add_write(void* p) {
    auto* self = static_cast<RedisConnection*>(p);
    self->want_write_ = true;
    self->arm_write();
}

void RedisConnection::ev_del_write(void* p) {
    static_cast<RedisConnection*>(p)->want_write_ = false;
}

void RedisConnection::ev_cleanup(void* p) {
    auto* self = static_cast<RedisConnection*>(p);
    self->want_read_ = self->want_write_ = false;
    if (!self->on_live_loop()) return;
    // An armed poll holds the socket open until it completes: cancel it so the close is real.
    // Its completion (-ECANCELED) then arrives for an old generation and is ignored. hiredis
    // may call cleanup twice; a second remove just fails with -ENOENT (no completion owner).
    if (self->read_armed_ && self->read_gen_ == self->gen_) {
        self->loop_->cancel(self->poll_fd_, &self->read_completion_);
        self->read_gen_ = 0;
    }
    if (self->write_armed_ && self->write_gen_ == self->gen_) {
        self->loop_->cancel(self->poll_fd_, &self->write_completion_);
        self->write_gen_ = 0;
    }
}

// ---- connection state callbacks ------------------------------------------------------------

void RedisConnection::on_connect_cb(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (!self || self->ctx_ != ac) return;
    if (status != REDIS_OK) {
        // hiredis frees the context right after this callback.
        self->ctx_ = nullptr;
        self->connected_ = false;
        self->note_failure(ac->c.errstr[0] ? ac->c.errstr : "connect failed");
        self->note_connect_failed();
        self->schedule_reconnect();
        return;
    }
    self->connected_ = true;
    self->backoff_ = self->endpoint_->backoff_min;
    self->endpoint_->connects.fetch_add(1, std::memory_order_relaxed);
    if (self->ever_failed_) {
        core::log_info("redis", "Redis connection restored",
                       {{"address", format_redis_address(self->address_)}});
        self->ever_failed_ = false;
    }
}

void RedisConnection::on_disconnect_cb(const redisAsyncContext* ac, int) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (!self || self->ctx_ != ac) return;  // dropped by us: already handled
    self->ctx_ = nullptr;
    self->connected_ = false;
    self->note_failure(ac->c.errstr[0] ? ac->c.errstr : "connection closed by Redis");
    if (!self->sub_channel_.empty()) {
        if (self->sub_handler_) self->sub_handler_->on_lost();
        self->schedule_reconnect();
    }
}

}  // namespace authd::store
