// sanitizer_options.cpp - default sanitizer options of the libFuzzer build,
// so that a fuzz target run by hand behaves as under `./setup fuzz`.
// UBSAN_OPTIONS in the environment still overrides them.

extern "C" const char* __ubsan_default_options();
extern "C" const char* __ubsan_default_options() {
    return "suppressions=" SETM_UBSAN_SUPPRESSIONS ":halt_on_error=1:print_stacktrace=1";
}
