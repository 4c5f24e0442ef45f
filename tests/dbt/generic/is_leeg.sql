{#- Rows where a problem column (`datum_fouten`, `onbekende_labels`) names a problem. -#}
{% test is_leeg(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
{% endtest %}
