{#- Rows where the end of a period (`column_name`) lies before its start (`begin_kolom`); open periods pass. -#}
{% test niet_voor(model, column_name, begin_kolom) %}
select
    {{ begin_kolom }},
    {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ begin_kolom }}
{% endtest %}
