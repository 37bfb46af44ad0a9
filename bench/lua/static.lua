-- The same request every time: method and body from BENCH_METHOD / BENCH_BODY, headers from wrk -H.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.body = os.getenv("BENCH_BODY")
