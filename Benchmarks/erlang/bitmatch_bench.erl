%% Erlang/OTP peer for otter-bench `bitmatch`: decode the same WebSocket frame headers and
%% IPv4 headers as the Swift benchmark, with Erlang's binary matching.
%%
%% Usage (after `erlc bitmatch_bench.erl`):
%%   erl -noshell -pa <dir> -run bitmatch_bench main websocket|ipv4 <corpus-file> <iterations>
%%
%% The corpus file holds the inputs as <<Len:32, Bytes:Len/binary>> records. Each input is
%% decoded in turn, cycling, <iterations> times; every field is folded into a checksum, the
%% same one the Swift side computes, so the two can be compared. Prints one line:
%%   RESULT lang=erlang bench=<name> n=<iterations> ns_per_match=<float> checksum=<int>
-module(bitmatch_bench).
-export([main/1]).

main([Name, File, N0]) ->
    N = list_to_integer(N0),
    {ok, Corpus} = file:read_file(File),
    Inputs = list_to_tuple([binary:copy(B) || B <- split(Corpus)]),
    %% Warm up (JIT, caches), then measure.
    _ = run(Name, Inputs, min(N, 100000)),
    T0 = erlang:monotonic_time(nanosecond),
    Sum = run(Name, Inputs, N),
    T1 = erlang:monotonic_time(nanosecond),
    io:format("RESULT lang=erlang bench=~s n=~B ns_per_match=~.3f checksum=~B~n",
              [Name, N, (T1 - T0) / N, Sum]),
    halt(0).

split(<<Len:32, Bytes:Len/binary, Rest/binary>>) -> [Bytes | split(Rest)];
split(<<>>) -> [].

run("websocket", Inputs, N) -> ws_loop(N, 1, Inputs, tuple_size(Inputs), 0);
run("ipv4", Inputs, N) -> ip_loop(N, 1, Inputs, tuple_size(Inputs), 0).

ws_loop(0, _I, _T, _K, Acc) -> Acc;
ws_loop(N, I, T, K, Acc) ->
    Acc1 = Acc + ws(element(I, T)),
    ws_loop(N - 1, if I =:= K -> 1; true -> I + 1 end, T, K, Acc1).

ip_loop(0, _I, _T, _K, Acc) -> Acc;
ip_loop(N, I, T, K, Acc) ->
    Acc1 = Acc + ipv4(element(I, T)),
    ip_loop(N - 1, if I =:= K -> 1; true -> I + 1 end, T, K, Acc1).

%% RFC 6455 §5.2, one clause per length form; Key:M/unit:32 is 32 bits when masked, else 0.
ws(<<Fin:1, Rsv:3, Op:4, M:1, Len:7, Key:M/unit:32, _Payload:Len/binary, _Rest/binary>>)
  when Len < 126 ->
    ws_sum(Fin, Rsv, Op, M, Len, Key, 2 + 4 * M);
ws(<<Fin:1, Rsv:3, Op:4, M:1, 126:7, Len:16, Key:M/unit:32, _Payload:Len/binary, _Rest/binary>>)
  when Len >= 126 ->
    ws_sum(Fin, Rsv, Op, M, Len, Key, 4 + 4 * M);
ws(<<Fin:1, Rsv:3, Op:4, M:1, 127:7, 0:1, Len:63, Key:M/unit:32, _Payload:Len/binary, _Rest/binary>>)
  when Len > 16#FFFF ->
    ws_sum(Fin, Rsv, Op, M, Len, Key, 10 + 4 * M);
ws(_) ->
    1000000.

ws_sum(Fin, Rsv, Op, M, Len, Key, PayloadOffset) ->
    Fin + Rsv + Op + M + (Len band 16#FFFF) + (Key band 16#FFFF) + PayloadOffset.

%% RFC 791 §3.1 with options; (IHL - 5) words of options.
ipv4(<<4:4, IHL:4, DSCP:6, ECN:2, TotalLength:16, Id:16, Flags:3, FragOff:13,
       TTL:8, Proto:8, Checksum:16, Src:32, Dst:32,
       Options:(IHL - 5)/binary-unit:32, _Payload/binary>>) ->
    IHL + DSCP + ECN + TotalLength + Id + Flags + FragOff + TTL + Proto + Checksum
        + (Src band 16#FFFF) + (Dst band 16#FFFF) + byte_size(Options) + IHL * 4;
ipv4(_) ->
    1000000.
