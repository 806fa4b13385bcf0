#include "auth/permissions.hpp"

#include <algorithm>
#include <array>

#include "util/ascii.hpp"

namespace hubcast::auth {
namespace {

/// Longest group name (REST constraint, spec 8): a longer literal can never be joined or sent to.
constexpr std::size_t max_group_chars = 1024;

struct role_form {
    std::string_view base;
    permission_kind kind;
    bool pattern;
};

// Singular forms name one group (or every group); plural forms carry a wildcard pattern.
constexpr std::array<role_form, 4> role_forms = {{
    {"webpubsub.joinLeaveGroup", permission_kind::join_leave_group, false},
    {"webpubsub.sendToGroup", permission_kind::send_to_group, false},
    {"webpubsub.joinLeaveGroups", permission_kind::join_leave_group, true},
    {"webpubsub.sendToGroups", permission_kind::send_to_group, true},
}};

} // namespace

using util::iequals;

std::optional<permission_kind> parse_permission_kind(std::string_view name) noexcept {
    if (iequals(name, "joinLeaveGroup")) {
        return permission_kind::join_leave_group;
    }
    if (iequals(name, "sendToGroup")) {
        return permission_kind::send_to_group;
    }
    return std::nullopt;
}

bool permission_set::grants::covers_by_wildcard(std::string_view group) const {
    return all || std::any_of(patterns.begin(), patterns.end(),
                              [group](const group_pattern& p) { return p.matches(group); });
}

bool permission_set::grants::allows(std::string_view group) const {
    if (revoked.contains(group)) {
        return false;
    }
    return literals.contains(group) || covers_by_wildcard(group);
}

bool permission_set::grants::allows_every_group() const {
    if (!revoked.empty()) {
        return false;
    }
    return all || std::any_of(patterns.begin(), patterns.end(),
                              [](const group_pattern& p) { return p.matches_everything(); });
}

permission_set permission_set::from_roles(const std::vector<std::string>& roles,
                                          std::vector<std::string>* rejected) {
    permission_set set;
    const auto reject = [rejected](const std::string& role) {
        if (rejected != nullptr) {
            rejected->push_back(role);
        }
    };
    for (const std::string& role : roles) {
        const std::string_view text = role;
        const auto form = std::find_if(role_forms.begin(), role_forms.end(), [text](const role_form& f) {
            return text == f.base ||
                   (text.starts_with(f.base) && text.size() > f.base.size() && text[f.base.size()] == '.');
        });
        if (form == role_forms.end()) {
            continue; // not a permission role: other roles are the app's business
        }
        grants& g = set.of(form->kind);
        if (text == form->base) {
            if (form->pattern) {
                reject(role); // a plural form without a pattern
            } else {
                g.all = true;
            }
            continue;
        }
        // Everything after the base and its dot, verbatim: group names and patterns contain dots.
        const std::string_view rest = text.substr(form->base.size() + 1);
        if (form->pattern) {
            if (std::any_of(g.patterns.begin(), g.patterns.end(),
                            [rest](const group_pattern& p) { return p.text() == rest; })) {
                continue;
            }
            auto pattern = group_pattern::compile(rest);
            if (!pattern || g.patterns.size() >= max_patterns_per_kind) {
                reject(role);
                continue;
            }
            g.patterns.push_back(std::move(*pattern));
        } else {
            if (rest.empty() || rest.size() > max_group_chars ||
                (g.literals.size() >= max_literals_per_kind && !g.literals.contains(rest))) {
                reject(role);
                continue;
            }
            g.literals.emplace(rest);
        }
    }
    return set;
}

bool permission_set::allows(permission_kind kind, std::string_view group) const {
    return of(kind).allows(group);
}

bool permission_set::grant(permission_kind kind, const std::optional<std::string>& target) {
    grants& g = of(kind);
    if (!target) {
        g.all = true;
        g.revoked.clear();
        return true;
    }
    if (g.literals.contains(*target)) {
        g.revoked.erase(*target);
        return true;
    }
    if (g.covers_by_wildcard(*target)) {
        // Lifting the exception is enough; a literal would only duplicate the wildcard.
        g.revoked.erase(*target);
        return true;
    }
    if (g.literals.size() >= max_literals_per_kind) {
        return false;
    }
    g.revoked.erase(*target);
    g.literals.insert(*target);
    return true;
}

void permission_set::revoke(permission_kind kind, const std::optional<std::string>& target) {
    grants& g = of(kind);
    if (!target) {
        g = grants{};
        return;
    }
    g.literals.erase(*target);
    if (g.covers_by_wildcard(*target)) {
        g.revoked.insert(*target);
    }
}

bool permission_set::check(permission_kind kind, const std::optional<std::string>& target) const {
    if (!target) {
        return of(kind).allows_every_group();
    }
    return allows(kind, *target);
}

namespace {

permission_set::kind_parts parts_of(bool all, const auto& literals, const auto& patterns,
                                    const auto& revoked) {
    permission_set::kind_parts out{.all = all,
                                   .literals = {literals.begin(), literals.end()},
                                   .patterns = {},
                                   .revoked = {revoked.begin(), revoked.end()}};
    for (const group_pattern& pattern : patterns) {
        out.patterns.push_back(pattern.text());
    }
    return out;
}

} // namespace

permission_set::parts permission_set::to_parts() const {
    return parts{.join_leave = parts_of(join_.all, join_.literals, join_.patterns, join_.revoked),
                 .send = parts_of(send_.all, send_.literals, send_.patterns, send_.revoked)};
}

std::optional<permission_set> permission_set::from_parts(const parts& described) {
    permission_set set;
    for (const auto kind : {permission_kind::join_leave_group, permission_kind::send_to_group}) {
        const kind_parts& from =
            kind == permission_kind::send_to_group ? described.send : described.join_leave;
        grants& to = set.of(kind);
        if (from.literals.size() > max_literals_per_kind || from.patterns.size() > max_patterns_per_kind) {
            return std::nullopt;
        }
        to.all = from.all;
        to.literals.insert(from.literals.begin(), from.literals.end());
        to.revoked.insert(from.revoked.begin(), from.revoked.end());
        for (const std::string& text : from.patterns) {
            auto pattern = group_pattern::compile(text);
            if (!pattern) {
                return std::nullopt;
            }
            to.patterns.push_back(std::move(*pattern));
        }
    }
    return set;
}

} // namespace hubcast::auth
