%% The Erlang side of otter-bench's `dist` benchmark: two nodes on this machine (started
%% by otter-bench with -name ...@127.0.0.1 and dist_bench_epmd, no epmd daemon).
%%
%%   B: erl ... -run dist_bench serve
%%      registers echo ({From, N} -> From ! {pong, N}), control ({sink, From, Total}
%%      spawns a sink that counts Total messages and sends {done, Count} to From), and
%%      counter (a gen_server: call N -> the running sum).
%%   A: erl ... -run dist_bench main B Pings Messages Calls
%%      ping-pong round trip, 1 -> 1 and 4 -> 1 throughput of integers to a sink on B,
%%      gen_server:call to B's counter; prints
%%        RESULT pingpong_us=.. tput1_per_s=.. tput4_per_s=.. call_us=..
%%      then watches B (net_kernel:monitor_nodes and a monitor on B's echo), prints
%%      ARMED, and when otter-bench has killed B with SIGKILL prints
%%        DOWN nodedown_at=<os:system_time us> down_at=<us> reason=<DOWN reason>
%%      and halts.
-module(dist_bench).
-behaviour(gen_server).
-export([serve/0, main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

%% B

serve() ->
    register(echo, spawn(fun echo/0)),
    register(control, spawn(fun control/0)),
    {ok, _} = gen_server:start({local, counter}, ?MODULE, [], []),
    ok.

echo() ->
    receive
        {From, N} -> From ! {pong, N}
    end,
    echo().

control() ->
    receive
        {sink, From, Total} ->
            Sink = spawn(fun() -> sink(From, Total, 0) end),
            From ! {sink_pid, Sink}
    end,
    control().

sink(From, Total, Total) -> From ! {done, Total};
sink(From, Total, N) ->
    receive
        _ -> sink(From, Total, N + 1)
    end.

init([]) -> {ok, 0}.
handle_call(Add, _From, Sum) -> {reply, Sum + Add, Sum + Add}.
handle_cast(_, Sum) -> {noreply, Sum}.

%% A

main([BStr, PingsS, MessagesS, CallsS]) ->
    B = list_to_atom(BStr),
    [Pings, Messages, Calls] = [list_to_integer(S) || S <- [PingsS, MessagesS, CallsS]],
    connect(B, 400),
    Echo = whereis_on(B, echo, 400),
    Control = whereis_on(B, control, 400),
    Counter = whereis_on(B, counter, 400),
    pingpong(Echo, Pings div 10),
    T0 = now_us(),
    pingpong(Echo, Pings),
    PingUs = (now_us() - T0) / Pings,
    Tput1 = throughput(Control, 1, Messages),
    Tput4 = throughput(Control, 4, Messages),
    calls(Counter, Calls div 10),
    T1 = now_us(),
    calls(Counter, Calls),
    CallUs = (now_us() - T1) / Calls,
    io:format("RESULT pingpong_us=~.3f tput1_per_s=~.1f tput4_per_s=~.1f call_us=~.3f~n",
              [PingUs, Tput1, Tput4, CallUs]),
    ok = net_kernel:monitor_nodes(true, [nodedown_reason]),
    Ref = erlang:monitor(process, Echo),
    io:format("ARMED~n"),
    {NodeDown, Down, Reason} = await_down(B, Ref, undefined, undefined, undefined),
    io:format("DOWN nodedown_at=~b down_at=~b reason=~p~n", [NodeDown, Down, Reason]),
    halt(0).

connect(B, 0) -> exit({cannot_connect, B});
connect(B, Tries) ->
    case net_kernel:connect_node(B) of
        true -> ok;
        _ -> timer:sleep(25), connect(B, Tries - 1)
    end.

whereis_on(B, Name, 0) -> exit({not_registered, Name, B});
whereis_on(B, Name, Tries) ->
    case rpc:call(B, erlang, whereis, [Name]) of
        Pid when is_pid(Pid) -> Pid;
        _ -> timer:sleep(25), whereis_on(B, Name, Tries - 1)
    end.

pingpong(_, 0) -> ok;
pingpong(Echo, N) ->
    Echo ! {self(), N},
    receive
        {pong, N} -> pingpong(Echo, N - 1)
    after 10000 -> exit(pingpong_timeout)
    end.

%% Senders on this node, Total integers in all, to a sink on B; messages/s as the sink
%% counts them (from the senders' start to its {done, Total}).
throughput(Control, Senders, Total) ->
    Control ! {sink, self(), Total},
    Sink = receive {sink_pid, S} -> S after 10000 -> exit(no_sink) end,
    Per = Total div Senders,
    Pids = [spawn(fun() -> receive go -> send_loop(Sink, Per) end end) || _ <- lists:seq(1, Senders)],
    T0 = now_us(),
    [P ! go || P <- Pids],
    receive {done, Total} -> ok after 120000 -> exit(throughput_timeout) end,
    Total / ((now_us() - T0) / 1.0e6).

send_loop(_, 0) -> ok;
send_loop(Sink, N) ->
    Sink ! N,
    send_loop(Sink, N - 1).

calls(_, 0) -> ok;
calls(Counter, N) ->
    _ = gen_server:call(Counter, 1, 10000),
    calls(Counter, N - 1).

await_down(_, _, NodeDown, Down, Reason) when NodeDown =/= undefined, Down =/= undefined ->
    {NodeDown, Down, Reason};
await_down(B, Ref, NodeDown, Down, Reason) ->
    receive
        {nodedown, B, _Info} -> await_down(B, Ref, os:system_time(microsecond), Down, Reason);
        {'DOWN', Ref, process, _, Why} -> await_down(B, Ref, NodeDown, os:system_time(microsecond), Why)
    after 15000 -> exit(no_nodedown)
    end.

now_us() -> erlang:monotonic_time(microsecond).
