#include "core/invocation_table.hpp"

namespace hubcast::core {

invocation_table::start_result invocation_table::start(std::string_view invocation_id, std::size_t limit) {
    std::string id(invocation_id);
    if (pending_.contains(id)) {
        return {outcome::duplicate, 0};
    }
    if (pending_.size() >= limit) {
        return {outcome::too_many, 0};
    }
    const std::uint64_t ticket = next_ticket_++;
    pending_.emplace(std::move(id), ticket);
    return {outcome::started, ticket};
}

bool invocation_table::finish(std::string_view invocation_id, std::uint64_t ticket) {
    const auto found = pending_.find(std::string(invocation_id));
    if (found == pending_.end() || found->second != ticket) {
        return false;
    }
    pending_.erase(found);
    return true;
}

bool invocation_table::cancel(std::string_view invocation_id) {
    return pending_.erase(std::string(invocation_id)) > 0;
}

} // namespace hubcast::core
