// RedisSubscriber: thread and loop, message parsing, and the resync that follows every
// (re)subscription. Everything but start/stop/set_listener runs on the subscriber's loop.
#include "store/redis_subscriber.hpp"

#include <pthread.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "core/log.hpp"
#include "store/redis_scripts.hpp"

namespace authd::store {
namespace {

// Bounds the memory of changes heard during one reload; past it, reload once more instead.
constexpr size_t max_heard_during_resync = 1u << 20;

bool next_field(std::string_view& s, std::string_view& field) {
    size_t sp = s.find(' ');
    if (sp == std::string_view::npos) return false;
    field = s.substr(0, sp);
    s.remove_prefix(sp + 1);
    return true;
}

bool to_i64(std::string_view s, int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<RedisChange> parse_redis_change(std::string_view s) {
    std::string_view origin, kind, number;
    if (!next_field(s, origin) || !next_field(s, kind) || kind.size() != 1) return std::nullopt;
    RedisChange c;
    c.kind = kind[0];
    switch (c.kind) {
        case 'r':  // r <expires_at> <sid>: the sid is the rest
            if (!next_field(s, number) || !to_i64(number, c.number) || s.empty())
                return std::nullopt;
            c.sid = std::string(s);
            return c;
        case 'v':  // v <user_id> <version>
            if (!next_field(s, number) || !to_i64(number, c.number) || !to_i64(s, c.version))
                return std::nullopt;
            if (c.version < 0 || c.version > UINT32_MAX) return std::nullopt;
            return c;
        case 'd':  // d <user_id>
            if (!to_i64(s, c.number)) return std::nullopt;
            return c;
        case 'i': {  // i <user_id> <role digit> <username>: the username is the rest
            std::string_view role;
            if (!next_field(s, number) || !to_i64(number, c.number) || !next_field(s, role) ||
                role.size() != 1 || role[0] < '0' || role[0] > '2' || s.empty())
                return std::nullopt;
            c.role = static_cast<Role>(role[0] - '0');
            c.sid = std::string(s);
            return c;
        }
        default:
            return std::nullopt;
    }
}

namespace {
int64_t mono_ms() {
    return std::chrono::duration_cast<core::Millis>(core::mono_now().time_since_epoch()).count();
}
}  // namespace

RedisSubscriber::RedisSubscriber(std::shared_ptr<const RedisEndpoint> endpoint, Loader loader,
                                 Housekeeping housekeeping, core::Millis housekeeping_period)
    : endpoint_(std::move(endpoint)),
      loader_(std::move(loader)),
      housekeeping_(std::move(housekeeping)),
      housekeeping_period_(housekeeping_period) {
    down_since_ms_.store(mono_ms(), std::memory_order_relaxed);  // down until first subscribed
}

RedisSubscriber::~RedisSubscriber() {
    stop();
}

bool RedisSubscriber::start(std::string& error) {
    std::promise<std::string> ready;
    std::future<std::string> started = ready.get_future();
    thread_ = std::thread([this, &ready] { thread_main(&ready); });
    error = started.get();
    if (error.empty()) return true;
    thread_.join();
    return false;
}

void RedisSubscriber::thread_main(std::promise<std::string>* ready) {
    pthread_setname_np(pthread_self(), "authd-redis-sub");
    std::string why;
    // The ring belongs to the thread that made it (SINGLE_ISSUER): create it here.
    core::Loop* loop = core::Loop::create(64, -1, why);
    if (!loop) {
        ready->set_value("cannot start the Redis subscriber: " + why);
        return;
    }
    loop_ = loop;
    ready->set_value("");
    loop->post([this] {
        // On a Redis Cluster the subscription may sit on any node: PUBLISH (not SPUBLISH) is
        // broadcast over the cluster bus to every node. It connects to the endpoint's target
        // like any connection, but does not move when a MOVED changes that target later.
        connection_ = std::make_unique<RedisConnection>(endpoint_);
        connection_->subscribe(std::string(redis_changes_channel), this);
        arm_housekeeping();
    });
    loop->run();
    connection_.reset();  // off-loop now: frees the context without touching the ring
    delete loop;
}

void RedisSubscriber::set_listener(ChangeListener* listener) {
    if (!loop_) return;
    loop_->post([this, listener] {
        if (stopping_) return;
        listener_ = listener;
        // A new listener starts from a full state; a running resync hands it over itself.
        if (listener_ && subscribed() && !resyncing_) start_resync();
    });
}

void RedisSubscriber::stop() {
    if (!thread_.joinable()) return;
    loop_->post([this] {
        stopping_ = true;
        listener_ = nullptr;
        if (housekeeping_armed_) loop_->cancel_timer(housekeeping_timer_);
        housekeeping_armed_ = false;
        if (sleeper_) {
            loop_->cancel_timer(sleep_timer_);
            std::exchange(sleeper_, {}).resume();
        }
        stop_when_idle();  // else the task still running stops the loop when it ends
    });
    thread_.join();
}

void RedisSubscriber::stop_when_idle() {
    if (stopping_ && !resyncing_ && !housekeeping_running_) loop_->stop();
}

// ---- housekeeping ----------------------------------------------------------------------------

void RedisSubscriber::arm_housekeeping() {
    if (!housekeeping_ || housekeeping_armed_ || stopping_) return;
    housekeeping_armed_ = true;
    housekeeping_timer_ = loop_->add_timer(loop_->now() + housekeeping_period_, [this] {
        housekeeping_armed_ = false;
        if (!housekeeping_running_ && subscribed()) core::spawn(housekeep());
        arm_housekeeping();
    });
}

core::Task<void> RedisSubscriber::housekeep() {
    housekeeping_running_ = true;
    co_await housekeeping_();
    housekeeping_running_ = false;
    stop_when_idle();
}

// ---- what the subscription hears ---------------------------------------------------------

core::Millis RedisSubscriber::down_for() const {
    if (subscribed()) return core::Millis(0);
    int64_t since = down_since_ms_.load(std::memory_order_relaxed);
    return core::Millis(since == 0 ? 0 : std::max<int64_t>(mono_ms() - since, 1));
}

void RedisSubscriber::on_subscribed() {
    ++subscription_;
    int64_t since = down_since_ms_.exchange(0, std::memory_order_relaxed);
    subscribed_.store(true, std::memory_order_relaxed);
    if (was_lost_) {
        core::log_info("redis", "change subscription restored; resynchronising validation state",
                       {{"down_ms", std::to_string(since ? mono_ms() - since : 0)}});
    }
    was_lost_ = false;
    if (listener_ && !resyncing_) start_resync();  // a running one notices the new subscription
    if (housekeeping_ && !housekeeping_running_) core::spawn(housekeep());
}

void RedisSubscriber::on_lost() {
    if (subscribed()) {
        core::log_warn("redis",
                       "change subscription lost: revocations from other instances are not "
                       "seen until it is restored");
    }
    if (subscribed()) down_since_ms_.store(mono_ms(), std::memory_order_relaxed);
    subscribed_.store(false, std::memory_order_relaxed);
    was_lost_ = true;
}

void RedisSubscriber::on_message(std::string_view payload) {
    if (!listener_) return;  // nobody to tell; a listener set later starts with a resync
    std::optional<RedisChange> change = parse_redis_change(payload);
    if (!change) return;
    if (!resyncing_) {
        deliver(*change);
        return;
    }
    if (heard_during_resync_.size() >= max_heard_during_resync) {
        heard_during_resync_.clear();
        ++subscription_;  // makes the running resync load once more (a later snapshot covers these)
        return;
    }
    heard_during_resync_.push_back(std::move(*change));
}

void RedisSubscriber::deliver(const RedisChange& c) {
    switch (c.kind) {
        case 'r':
            listener_->on_session_revoked(c.sid, c.number);
            break;
        case 'v':
            listener_->on_token_version(c.number, static_cast<uint32_t>(c.version));
            break;
        case 'd':
            listener_->on_user_removed(c.number);
            break;
        case 'i':
            listener_->on_imported_user(c.number, c.role, c.sid);
            break;
        default:
            break;
    }
}

// ---- resync ----------------------------------------------------------------------------------

void RedisSubscriber::start_resync() {
    resyncing_ = true;
    heard_during_resync_.clear();
    core::spawn(resync());
}

// The snapshot is taken after the subscription was confirmed, so every change is either in
// it or heard afterwards; changes heard while loading are replayed on top of it (they are
// idempotent: versions only grow, revocations and removals repeat harmlessly).
core::Task<void> RedisSubscriber::resync() {
    core::Millis backoff = endpoint_->backoff_min;
    for (;;) {
        uint64_t subscription = subscription_;
        Result<ValidationState> state = co_await loader_();
        if (stopping_ || !listener_) break;
        if (subscription != subscription_) {
            heard_during_resync_.clear();  // resubscribed meanwhile: take a later snapshot
            if (!subscribed()) break;      // the next on_subscribed starts over
            continue;
        }
        if (!state) {
            co_await Sleep{this, backoff};
            backoff = std::min(backoff * 2, endpoint_->backoff_max);
            if (stopping_ || !subscribed()) break;
            continue;
        }
        listener_->on_resync(*state);
        for (const RedisChange& c : heard_during_resync_) deliver(c);
        resyncs_.fetch_add(1, std::memory_order_relaxed);
        core::log(core::LogLevel::debug, "redis", "validation state resynchronised",
                  {{"users", std::to_string(state->token_versions.size())},
                   {"revoked_sessions", std::to_string(state->revoked_sessions.size())},
                   {"replayed", std::to_string(heard_during_resync_.size())}});
        break;
    }
    heard_during_resync_.clear();
    resyncing_ = false;
    stop_when_idle();
}

void RedisSubscriber::Sleep::await_suspend(std::coroutine_handle<> h) {
    self->sleeper_ = h;
    self->sleep_timer_ = self->loop_->add_timer(self->loop_->now() + delay, [s = self] {
        if (s->sleeper_) std::exchange(s->sleeper_, {}).resume();
    });
}

}  // namespace authd::store
