{#-
    Error-level invariant of the staging layer: an INSZ is either normalised (11 digits) with no reason, or NULL with
    the reason it is invalid. Anything else would let a broken INSZ be joined instead of reported.
-#}
{% test insz_consistent(model, column_name, reden_kolom) %}
select
    {{ column_name }},
    {{ reden_kolom }}
from {{ model }}
where
    ({{ column_name }} is null) = ({{ reden_kolom }} is null)
    or not regexp_full_match({{ column_name }}, '[0-9]{11}')
{% endtest %}
