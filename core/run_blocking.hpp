// run_blocking(): runs a Task to completion on a temporary loop on the calling thread.
// For start-up and command-line work that must await store calls before the loops run.
#pragma once
#include <optional>
#include <string>

#include "core/loop.hpp"
#include "core/task.hpp"

namespace authd::core {

template <class T>
std::optional<T> run_blocking(Task<T> task, std::string& error) {
    Loop* loop = Loop::create(64, -1, error);
    if (!loop) return std::nullopt;
    std::optional<T> result;
    // Started from the loop's mailbox so Loop::current() is this loop while the task runs.
    loop->post([&] {
        task.start([&] {
            result.emplace(std::move(task.result()));
            loop->stop();
        });
    });
    loop->run();
    delete loop;
    return result;
}

}  // namespace authd::core
