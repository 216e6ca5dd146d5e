"""Staffing (issue 14): how many agents an interval needs, by Erlang C and Erlang A, the
plan checked by a simulation, and the forecast of the calls to come."""
