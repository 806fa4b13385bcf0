// Linked into every executable of a sanitizer build (cmake/HubcastSanitizers.cmake): the runtime
// options `make test` relies on, so that running a sanitized test or the sanitized hubcast by hand
// behaves the same. The *SAN_OPTIONS environment variables still override them.

#define HUBCAST_SANITIZER_HOOK extern "C" __attribute__((used, visibility("default"))) const char*

// halt_on_error: the first report ends the process with a failure status, so a report can never
// scroll past in a passing run. detect_leaks: LeakSanitizer runs at every exit, the server's too.
HUBCAST_SANITIZER_HOOK __asan_default_options() {
    return "halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:"
           "strict_init_order=1";
}

HUBCAST_SANITIZER_HOOK __ubsan_default_options() {
    return "halt_on_error=1:print_stacktrace=1";
}

HUBCAST_SANITIZER_HOOK __tsan_default_options() {
    return "halt_on_error=1:second_deadlock_stack=1";
}

// Suppressions are for third-party false positives only, each with its reason; none so far.
HUBCAST_SANITIZER_HOOK __lsan_default_suppressions() {
    return "";
}

HUBCAST_SANITIZER_HOOK __tsan_default_suppressions() {
    return "";
}
