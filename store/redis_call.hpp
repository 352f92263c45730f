// RedisCall<T>: `co_await`-able command on a RedisConnection whose reply is decoded into a T
// inside the reply callback (hiredis frees the reply right after). A failure — not sent,
// no answer, or an error reply — yields the failure value; status() says which.
#pragma once
#include <hiredis/hiredis.h>

#include <coroutine>
#include <optional>
#include <string>

#include "store/redis_connection.hpp"

namespace authd::store {

enum class RedisCallStatus : uint8_t { ok, unavailable, error };

template <class T>
class RedisCall final : public RedisRequest {
  public:
    using Decode = T (*)(const redisReply*);  // gets a non-null, non-error reply

    RedisCall(RedisConnection* connection, const RedisArgs& args, Decode decode, const T& failure)
        : connection_(connection), args_(args), decode_(decode), failure_(failure) {}

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
        waiter = h;
        if (connection_ && connection_->send(*this, args_)) return true;
        result_.emplace(failure_);
        return false;  // failed at once: continue with the failure value
    }
    T await_resume() { return std::move(*result_); }

    void on_reply(const redisReply* reply) override {
        if (!reply) {
            result_.emplace(failure_);
            return;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            status_ = RedisCallStatus::error;
            error_.assign(reply->str ? reply->str : "", reply->str ? reply->len : 0);
            result_.emplace(failure_);
            return;
        }
        status_ = RedisCallStatus::ok;
        result_.emplace(decode_(reply));
    }

    RedisCallStatus status() const { return status_; }
    const std::string& error() const { return error_; }
    RedisConnection* connection() const { return connection_; }

  private:
    RedisConnection* connection_;
    const RedisArgs& args_;  // outlives the call: a local of the awaiting coroutine
    Decode decode_;
    const T& failure_;
    std::optional<T> result_;
    RedisCallStatus status_ = RedisCallStatus::unavailable;
    std::string error_;
};

}  // namespace authd::store
