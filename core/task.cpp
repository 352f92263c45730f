// spawn(): fire-and-forget root tasks whose frames clean themselves up.
#include "core/task.hpp"

namespace authd::core {

void spawn(Task<void> task) {
    auto* holder = new Task<void>(std::move(task));
    holder->start([holder] { delete holder; });
}

}  // namespace authd::core
