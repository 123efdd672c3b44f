%% An epmd replacement for the `dist` benchmark (-start_epmd false -epmd_module
%% dist_bench_epmd): a node's listening port is the number after the last "_" of its
%% name (distb_b1_40123@127.0.0.1 listens on 40123), so two nodes on one machine find
%% each other without an epmd daemon, and nothing outlives the run.
-module(dist_bench_epmd).
-export([start_link/0, register_node/2, register_node/3, port_please/2, port_please/3,
         listen_port_please/2, address_please/3, names/0, names/1]).

start_link() -> ignore.

register_node(Name, Port) -> register_node(Name, Port, inet_tcp).
register_node(_Name, _Port, _Driver) -> {ok, rand:uniform(3)}.

port_please(Name, Host) -> port_please(Name, Host, infinity).
port_please(Name, _Host, _Timeout) -> {port, port_of(Name), 6}.

listen_port_please(Name, _Host) -> {ok, port_of(Name)}.

address_please(Name, _Host, _Family) -> {ok, {127, 0, 0, 1}, port_of(Name), 6}.

names() -> {error, address}.
names(_Host) -> {error, address}.

port_of(Name) ->
    Parts = string:split(to_list(Name), "_", all),
    list_to_integer(lists:last(Parts)).

to_list(A) when is_atom(A) -> atom_to_list(A);
to_list(L) -> L.
