{#- Rows where `column_name` lies outside [minimum, maximum]; NULL passes (not_null says whether it may be). -#}
{% test tussen(model, column_name, minimum, maximum) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ minimum }} or {{ column_name }} > {{ maximum }}
{% endtest %}
