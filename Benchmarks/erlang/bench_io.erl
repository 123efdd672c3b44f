%% Erlang/OTP echo server for otter-bench's `echo` and `conns` benchmarks: the idiomatic
%% gen_tcp form — an acceptor hands each connection to its own (linked) process, which reads with
%% {active, once} and echoes.
%%
%%   erl +S 1 -noshell -pa <dir> -run bench_io main echo_server
%%
%% Prints "PORT <n>" and serves until standard input closes, then halts.
-module(bench_io).
-export([main/1]).

main(["echo_server"]) ->
    {ok, L} = gen_tcp:listen(0, [binary, {ip, {127, 0, 0, 1}}, {packet, raw}, {active, false},
                                 {reuseaddr, true}, {backlog, 4096}, {nodelay, true}]),
    {ok, Port} = inet:port(L),
    io:format("PORT ~p~n", [Port]),
    spawn(fun() -> accept(L) end),
    %% Halt when stdin closes (the benchmark is done with us).
    StdIn = open_port({fd, 0, 1}, [in, eof, binary]),
    wait_eof(StdIn).

wait_eof(P) ->
    receive
        {P, eof} -> halt(0);
        {P, _} -> wait_eof(P)
    end.

accept(L) ->
    {ok, S} = gen_tcp:accept(L),
    Pid = spawn_link(fun() -> receive go -> ok end, inet:setopts(S, [{active, once}]), echo(S) end),
    ok = gen_tcp:controlling_process(S, Pid),
    Pid ! go,
    accept(L).

echo(S) ->
    receive
        {tcp, S, Data} ->
            gen_tcp:send(S, Data),
            inet:setopts(S, [{active, once}]),
            echo(S);
        {tcp_closed, S} -> ok;
        {tcp_error, S, _} -> ok
    end.
