{#- Rows whose combination of `kolommen` occurs more than once (a composite key without dbt packages). -#}
{% test uniek_samen(model, kolommen) %}
select
    {{ kolommen | join(', ') }},
    count(*) as aantal
from {{ model }}
group by {{ kolommen | join(', ') }}
having count(*) > 1
{% endtest %}
