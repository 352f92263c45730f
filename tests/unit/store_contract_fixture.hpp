// The StoreContract fixture: one Store per test on the parameter's backend (embedded journal in a
// temp directory, or Redis on a private redis-server), a fake clock, and restart/crash helpers.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "store/embedded_store.hpp"
#include "store/redis_store.hpp"
#include "tests/unit/redis_server_fixture.hpp"
#include "tests/unit/store_test_support.hpp"

// Not in an anonymous namespace: the suite's tests live in several files and GoogleTest
// requires one fixture type per suite (instantiated once, in test_store_contract.cpp).
namespace authd::store::contract {

namespace fs = std::filesystem;
using namespace test_support;
using testing_redis::RedisServerProcess;

class StoreContract : public ::testing::TestWithParam<std::string> {
  protected:
    static void TearDownTestSuite() {
        delete redis_;
        redis_ = nullptr;
    }

    void SetUp() override {
        redis_backend_ = GetParam() == "redis";
        now_us_->store(t0_us);
        if (redis_backend_) {
            if (!testing_redis::redis_server_available())
                GTEST_SKIP() << "no /usr/bin/redis-server";
            if (!redis_) {  // started at the first Redis test only
                redis_ = new RedisServerProcess;
                redis_start_error_ = redis_->start();
            }
            ASSERT_TRUE(redis_start_error_.empty()) << redis_start_error_;
            if (redis_->command({"PING"}) != "PONG") {
                ASSERT_EQ(redis_->restart(), "");
            }
            ASSERT_EQ(redis_->command({"FLUSHALL"}), "OK");
            redis_->command({"SCRIPT", "FLUSH"});
            redis_options_.subscribe = false;
            redis_options_.mail_lease = 0ms;  // due_mail as a plain read, as the embedded store
        } else {
            char tmpl[] = "/tmp/authd-contract-XXXXXX";
            ASSERT_NE(mkdtemp(tmpl), nullptr);
            root_ = tmpl;
            dir_ = root_ + "/data";
        }
        open();
    }
    void TearDown() override {
        if (store_) store_->close();
        store_.reset();
        destroy_finished_loops();
        std::error_code ec;
        if (!root_.empty()) fs::remove_all(root_, ec);
    }

    // The backend's own watchdog for one on_loop body.
    template <class F>
    void on_loop(F&& body) {
        test_support::on_loop(std::forward<F>(body), watchdog());
    }
    core::Millis watchdog() const { return redis_backend_ ? 60s : 30s; }

    void open() {
        if (store_) store_->close();
        store_.reset();
        std::string error;
        if (redis_backend_) {
            RedisStoreOptions o = redis_options_;
            o.clock_us = [now = now_us_] { return now->load(); };
            store_ = RedisStore::open(redis_->url(), o, error);
        } else {
            EmbeddedStoreOptions o;
            o.clock_us = [now = now_us_] { return now->load(); };
            store_ = EmbeddedStore::open(dir_, o, error);
        }
        ASSERT_TRUE(store_) << error;
    }
    // The process restarts. Embedded: close and reopen the directory. Redis: a new store
    // (a new instance) on the same redis-server.
    void reopen() {
        store_->close();
        if (!redis_backend_) destroy_finished_loops();
        open();
    }
    // The storage itself restarts too. Redis: redis-server stops cleanly and replays its AOF.
    void restart() {
        if (!redis_backend_) return reopen();
        store_->close();
        store_.reset();
        ASSERT_EQ(redis_->restart(), "");
        open();
    }
    // The storage is killed. Redis: SIGKILL, no shutdown work at all, only what the AOF holds
    // comes back. (Embedded: a plain restart; its killed-writer test forks a process to kill.)
    void crash_restart() {
        if (!redis_backend_) return reopen();
        store_->close();
        store_.reset();
        redis_->kill9();
        ASSERT_EQ(redis_->start(), "");
        open();
    }
    // Thousands of pipelined commands on a possibly busy machine: give Redis time.
    void allow_slow_commands() {
        if (!redis_backend_) return;
        redis_options_.command_timeout = 20s;
        reopen();
    }

    void advance(std::chrono::seconds s) { now_us_->fetch_add(s.count() * 1000000); }
    int64_t now_s() const { return now_us_->load() / 1000000; }

    static inline RedisServerProcess* redis_ = nullptr;
    static inline std::string redis_start_error_;
    bool redis_backend_ = false;
    std::string root_, dir_;
    RedisStoreOptions redis_options_;
    std::shared_ptr<std::atomic<int64_t>> now_us_ = std::make_shared<std::atomic<int64_t>>(t0_us);
    std::unique_ptr<Store> store_;
};

}  // namespace authd::store::contract
