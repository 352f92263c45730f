// RedisConnection: one hiredis async connection driven by the calling thread's loop
// (one-shot readiness polls, re-armed while hiredis wants to read or write), with
// pipelined commands, a per-command timeout, and reconnection with backoff. Each loop thread
// gets its own connection per store (for_this_thread); a subscriber owns a dedicated one.
#pragma once
#include <hiredis/async.h>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/loop.hpp"
#include "store/redis_endpoint.hpp"

namespace authd::store {

// The arguments of one command, binary-safe (hiredis copies them when the command is queued).
class RedisArgs {
  public:
    RedisArgs() { parts_.reserve(16); }
    RedisArgs& add(std::string_view s) {
        parts_.emplace_back(s);
        return *this;
    }
    RedisArgs& add(const char* s) { return add(std::string_view(s)); }
    RedisArgs& add(const std::string& s) { return add(std::string_view(s)); }
    RedisArgs& add(int64_t v) { return add(std::string_view(std::to_string(v))); }
    void set(size_t i, std::string_view s) { parts_.at(i).assign(s); }
    size_t size() const { return parts_.size(); }
    const std::string& operator[](size_t i) const { return parts_[i]; }

  private:
    std::vector<std::string> parts_;
};

// One command waiting for its reply. Lives in the awaiting coroutine's frame; the connection
// keeps a pointer to it until on_reply has run.
class RedisRequest {
  public:
    // Runs on the loop inside hiredis, exactly once per accepted send(). reply is nullptr when
    // the command got no answer: the connection dropped or the command timed out. The reply is
    // freed when this returns, so copy what is needed.
    virtual void on_reply(const redisReply* reply) = 0;
    // Resumed after on_reply, outside hiredis (so it may send new commands). May be empty.
    std::coroutine_handle<> waiter;

  protected:
    ~RedisRequest() = default;

  private:
    friend class RedisConnection;
    core::MonoTime deadline_{};
    RedisRequest* next_ready_ = nullptr;
};

class RedisConnection {
  public:
    // Receives what a subscribed connection hears (on the connection's loop).
    class SubscriptionHandler {
      public:
        virtual ~SubscriptionHandler() = default;
        virtual void on_subscribed() = 0;  // after every (re)connect, once SUBSCRIBE is confirmed
        virtual void on_message(std::string_view payload) = 0;
        virtual void on_lost() = 0;  // the connection dropped; it reconnects with backoff
    };

    explicit RedisConnection(std::shared_ptr<const RedisEndpoint> endpoint);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // This thread's connection for `endpoint` (made on first use) bound to the loop running
    // now; nullptr off-loop. Connections of closed endpoints are dropped here once idle.
    static RedisConnection* for_this_thread(const std::shared_ptr<const RedisEndpoint>& endpoint);

    // Queues a command (written with the others of this loop turn). True: request.on_reply
    // will run, then request.waiter resumes. False: failed at once (off-loop, disconnected
    // and backing off, or the connection refused it); nothing will be called.
    bool send(RedisRequest& request, const RedisArgs& args);

    // Turns this (dedicated) connection into a subscriber of `channel`: connects now and
    // after every drop (backoff 100 ms doubling to 5 s). Call on the loop that will drive it.
    void subscribe(std::string channel, SubscriptionHandler* handler);

    // Drops the connection now (pending commands fail); the next use reconnects. For errors
    // such as READONLY that mean the server behind the address changed role.
    void reset(std::string_view why);

    // A command got `MOVED <slot> <host>:<port>` (a Redis Cluster node that does not own
    // authd's slot): the endpoint's target becomes that node for every connection of the
    // store, and this one reconnects there. A malformed redirect is logged and ignored.
    void follow_moved(std::string_view error);

    // The node this connection talks to (or last tried): the endpoint's target() at connect.
    const RedisAddress& address() const { return address_; }

    bool connected() const { return ctx_ != nullptr && connected_; }

  private:
    struct Alive {
        RedisConnection* self;
    };
    // AUTH / SELECT of the handshake: a refusal makes the connection unusable.
    class InternalRequest final : public RedisRequest {
      public:
        InternalRequest(RedisConnection* owner, const char* what) : owner_(owner), what_(what) {}
        void on_reply(const redisReply* reply) override;

      private:
        RedisConnection* owner_;
        const char* what_;
    };
    class SubscribeRequest final : public RedisRequest {
      public:
        explicit SubscribeRequest(RedisConnection* owner) : owner_(owner) {}
        void on_reply(const redisReply* reply) override;

      private:
        RedisConnection* owner_;
    };

    bool bind_current_loop();
    bool on_live_loop() const;
    bool connect();
    void note_connect_failed();
    void follow_target();
    void start_handshake();
    bool queue(RedisRequest& request, const RedisArgs& args, bool counted);
    void drop(std::string_view why, bool abandon);
    void note_failure(std::string_view why);
    void schedule_reconnect();
    bool retire();
    bool quiescent() const {
        return !ctx_ && !read_armed_ && !write_armed_ && dispatch_depth_ == 0;
    }

    void arm_read();
    void arm_write();
    void arm_timer(core::MonoTime deadline);
    void on_timer();
    void dispatch_ready();
    void push_ready(RedisRequest* r);
    void after_io();

    static void on_read_cqe(core::Completion* c, int32_t res, uint32_t flags);
    static void on_write_cqe(core::Completion* c, int32_t res, uint32_t flags);
    static void ev_add_read(void* self);
    static void ev_del_read(void* self);
    static void ev_add_write(void* self);
    static void ev_del_write(void* self);
    static void ev_cleanup(void* self);
    static void on_connect_cb(const redisAsyncContext* ac, int status);
    static void on_disconnect_cb(const redisAsyncContext* ac, int status);
    static void on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);

    std::shared_ptr<const RedisEndpoint> endpoint_;
    RedisAddress address_;     // where ctx_ connects (endpoint_->target() then)...
    uint64_t target_gen_ = 0;  // ...and endpoint_->target_generation() then
    bool moved_malformed_logged_ = false;
    redisAsyncContext* ctx_ = nullptr;  // nullptr: disconnected
    bool connected_ = false;            // the TCP connect of ctx_ completed
    uint64_t gen_ = 0;                  // bumped per context: tells stale poll completions apart
    size_t pending_ = 0;                // replies still owed on ctx_ (regular commands)
    bool abandoning_ = false;           // freeing a context whose waiters must not be touched
    bool ever_failed_ = false;          // log "restored" only after a logged loss

    core::Loop* loop_ = nullptr;  // the loop this connection's polls and timer belong to
    uint64_t loop_serial_ = 0;
    core::MonoTime retry_at_{};   // while disconnected, no connect attempt before this...
    uint64_t connects_seen_ = 0;  // ...unless endpoint_->connects moved past this since
    core::Millis backoff_{0};

    bool want_read_ = false, want_write_ = false;
    bool read_armed_ = false, write_armed_ = false;
    uint64_t read_gen_ = 0, write_gen_ = 0;
    int poll_fd_ = -1;  // the socket the polls were armed on (cancel needs it after ctx_ goes)
    core::Completion read_completion_{};
    core::Completion write_completion_{};

    bool timer_armed_ = false;
    core::MonoTime timer_at_{};
    uint64_t timer_seq_ = 0;  // bumped when the loop changes: an older loop's timer is void
    std::shared_ptr<Alive> alive_;

    RedisRequest* ready_head_ = nullptr;
    RedisRequest* ready_tail_ = nullptr;
    int dispatch_depth_ = 0;

    InternalRequest auth_request_{this, "AUTH"};
    InternalRequest select_request_{this, "SELECT"};
    InternalRequest name_request_{this, "CLIENT SETNAME"};
    bool handshake_refused_ = false;  // set inside hiredis; acted on once it has returned

    std::string sub_channel_;  // non-empty: subscriber mode
    SubscriptionHandler* sub_handler_ = nullptr;
    SubscribeRequest sub_request_{this};
    bool reconnect_scheduled_ = false;
};

}  // namespace authd::store
