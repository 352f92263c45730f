// RedisSubscriber: the one pub/sub connection of an instance, on its own thread and loop.
// It hears the changes other instances publish (revocations, token versions, removals) and
// hands them to the ChangeListener; after every (re)subscription it reloads the full
// validation state and hands that over first (on_resync), replaying what was heard during
// the reload after it, so nothing published while it was away is missed.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/loop.hpp"
#include "core/task.hpp"
#include "store/redis_connection.hpp"
#include "store/store.hpp"

namespace authd::store {

// A change as published by the scripts: "<origin> r <expires_at> <sid>",
// "<origin> v <user_id> <version>", "<origin> d <user_id>" or, for a user imported at token
// version 0, "<origin> i <user_id> <role digit> <username>".
struct RedisChange {
    char kind = 0;             // 'r', 'v', 'd', 'i'
    int64_t number = 0;        // expires_at (r) or user id (v, d, i)
    int64_t version = 0;       // v only
    std::string sid;           // r: the session id; i: the username
    Role role = Role::client;  // i only
};
// nullopt when malformed. The origin (the publishing instance) is not filtered: this
// instance's own changes come back too and are applied again, harmlessly (versions only
// grow, revocations and removals repeat) — which repairs the race where a resync snapshot
// taken just before one of our own writes lands on the loops after that write's spread.
std::optional<RedisChange> parse_redis_change(std::string_view payload);

class RedisSubscriber final : private RedisConnection::SubscriptionHandler {
  public:
    // Loads the full validation state (nullopt when Redis could not answer). Runs on the
    // subscriber's loop.
    using Loader = std::function<core::Task<Result<ValidationState>>()>;
    // Periodic upkeep of the shared store (e.g. releasing what dead instances held). Runs on
    // the subscriber's loop after every subscription and then every housekeeping period.
    using Housekeeping = std::function<core::Task<void>()>;

    RedisSubscriber(std::shared_ptr<const RedisEndpoint> endpoint, Loader loader,
                    Housekeeping housekeeping = {},
                    core::Millis housekeeping_period = core::Millis(5000));
    ~RedisSubscriber() override;

    // Starts the thread and its loop; the subscription is made (and remade) in the background.
    bool start(std::string& error);
    // Thread-safe. A non-null listener gets a resync first, then the changes.
    void set_listener(ChangeListener* listener);
    // Thread-safe; joins the thread. The listener is not called once this returns.
    void stop();

    bool subscribed() const { return subscribed_.load(std::memory_order_relaxed); }
    // How long the subscription has been down (0 while up); from start until the first
    // subscription counts as down. Any thread.
    core::Millis down_for() const;
    uint64_t resyncs() const { return resyncs_.load(std::memory_order_relaxed); }

  private:
    void on_subscribed() override;
    void on_message(std::string_view payload) override;
    void on_lost() override;

    void start_resync();
    core::Task<void> resync();
    void arm_housekeeping();
    core::Task<void> housekeep();
    void stop_when_idle();
    void deliver(const RedisChange& change);
    void thread_main(std::promise<std::string>* ready);

    // co_await sleep(d): resumes after d, or at once when stop() is called.
    struct Sleep {
        RedisSubscriber* self;
        core::Millis delay;
        bool await_ready() const noexcept { return self->stopping_; }
        void await_suspend(std::coroutine_handle<> h);
        void await_resume() const noexcept {}
    };

    std::shared_ptr<const RedisEndpoint> endpoint_;
    Loader loader_;
    Housekeeping housekeeping_;
    core::Millis housekeeping_period_;
    std::thread thread_;
    core::Loop* loop_ = nullptr;

    // Subscriber thread only:
    std::unique_ptr<RedisConnection> connection_;
    ChangeListener* listener_ = nullptr;
    bool resyncing_ = false;
    bool stopping_ = false;
    uint64_t subscription_ = 0;  // bumped per (re)subscription
    bool was_lost_ = false;
    std::vector<RedisChange> heard_during_resync_;
    std::coroutine_handle<> sleeper_;
    core::TimerId sleep_timer_{};
    bool housekeeping_running_ = false;
    bool housekeeping_armed_ = false;
    core::TimerId housekeeping_timer_{};

    std::atomic<bool> subscribed_{false};
    std::atomic<int64_t> down_since_ms_{0};  // monotonic ms when it went down; 0 while up
    std::atomic<uint64_t> resyncs_{0};
};

}  // namespace authd::store
