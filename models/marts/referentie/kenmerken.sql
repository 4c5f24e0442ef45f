{#-
    The Dutch name and meaning of every dimension, attribute, field and source the marts name in a column, so the BI
    file explains its own vocabulary. Grain: one row per kenmerk.
-#}
select
    cast(namen.kenmerk as varchar) as kenmerk,
    cast(namen.naam as varchar) as naam,
    cast(namen.uitleg as varchar) as uitleg
from {{ ref('kenmerk_namen') }} as namen
