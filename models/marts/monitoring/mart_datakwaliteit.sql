{#-
    Data quality per wave and per field (art. 7), published: the true counts of datakwaliteit_feiten (counted during
    each wave from the restricted staging, kept INSZ-free in the monitoring database), rounded to 5 and small counts
    withheld (macro afgerond_aantal: these count extract rows, not a breakdown of people). Every wave in one table, so
    an analyst rebuilds it from the monitoring database alone. Grain: one row per golf x bron x veld.
-#}
with

telling as (
    select *
    from {{ ref('datakwaliteit_feiten') }}
)

-- Counts of extract rows, not a breakdown of people: the simpler rule of afgerond_aantal (see _macros.yml).
select
    cast(telling.golf as varchar) as golf,
    cast(telling.bron as varchar) as bron,
    cast(telling.veld as varchar) as veld,
    {{ afgerond_aantal('telling', 'aantal_rijen') }},
    {{ afgerond_aantal('telling', 'aantal_leeg') }},
    {{ afgerond_aantal('telling', 'aantal_ongeldig') }},
    {{ afgerond_aantal('telling', 'aantal_dubbel') }},
    {{ afgerond_aantal('telling', 'aantal_niet_gekoppeld') }}
from telling
