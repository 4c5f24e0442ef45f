{#-
    The cell key method (Thompson, Broadfoot & Elazar 2013; ONS Census 2021; Destatis Census 2022) for every count of
    every BI mart; the method, its parameters and how to read the result are in _macros.yml (docs site).

    A mart counts people with ckm_telling(), which gives each count its cell key (the sum of the record keys of the
    cell's people modulo 256, from the model `recordsleutels`), and then wraps its counts with
    cell_key_perturbation(), which adds the noise the p-table (seed `ptable`) gives for (count, cell key) and
    withholds what lands under `sdc_drempel`. Percentages are computed from the perturbed counts with
    ckm_percentage(). The same population cell therefore gets the same published value in every mart, rebuild and
    wave, and no relation between published cells holds exactly.
-#}

{% macro ckm_drempel() -%}
    {%- set drempel = var('sdc_drempel', 5) | int -%}
    {%- if drempel < 1 -%}
        {{ exceptions.raise_compiler_error("sdc_drempel must be a positive integer, got " ~ drempel) }}
    {%- endif -%}
    {{ return(drempel) }}
{%- endmacro %}


{% macro ckm_personen() -%}
    {#- Every person of the pseudonymised dataset with their secret record key: what a telling model counts, as the
        body of a CTE named `dataset`. -#}
    select
        gepseudonimiseerd.*,
        sleutels.recordsleutel
    from {{ ref('gepseudonimiseerde_dataset') }} as gepseudonimiseerd
    inner join {{ ref('recordsleutels') }} as sleutels
        on gepseudonimiseerd.pseudoniem = sleutels.pseudoniem
{%- endmacro %}


{% macro ckm_telling(naam, voorwaarde=none, recordsleutel='recordsleutel') -%}
    {#- A count of people (rows) and its cell key, as two select-list items `<naam>` and `<naam>_celsleutel`.
        `voorwaarde` restricts the count (SQL condition); without it every row of the group counts. -#}
    {%- if not naam.startswith('aantal_') -%}
        {{ exceptions.raise_compiler_error("ckm_telling: count column '" ~ naam ~ "' must be named aantal_…") }}
    {%- endif -%}
    {%- set filter = ' filter (where ' ~ voorwaarde ~ ')' if voorwaarde else '' -%}
    count(*){{ filter }} as {{ naam }},
    cast(coalesce(sum({{ recordsleutel }}){{ filter }}, 0) % 256 as integer) as {{ naam }}_celsleutel
{%- endmacro %}


{% macro ckm_minimum_noemer() -%}
    {#- The smallest published count a percentage or a median is shown on (var sdc_minimum_noemer, default 20):
        under it the noise of a few units makes the figure meaningless (9 of 7 would read 128.6 %), and a median
        over a handful of people is one person's number of days. -#}
    {%- set minimum = var('sdc_minimum_noemer', 20) | int -%}
    {%- if minimum < ckm_drempel() -%}
        {{ exceptions.raise_compiler_error("sdc_minimum_noemer must be at least sdc_drempel, got " ~ minimum) }}
    {%- endif -%}
    {{ return(minimum) }}
{%- endmacro %}


{% macro cell_key_perturbation(mart) %}
    {#- CTEs ending in `ckm_resultaat` for `mart`, as mart_tellingen() describes it: one row per row of its telling
        model, with the `sleutel` columns, per count of `aantallen` the published (perturbed) count under the same
        name and `<count>_onderdrukt`, and per statistic of `statistieken` ({column: its count}) the statistic where
        that count may carry one. The telling model holds every count and its `<count>_celsleutel` (ckm_telling).

        Three steps: the noise of the secret p-table (`ptabel_geheim`) for (count, cell key), withheld under
        `sdc_drempel`; then, from the published values only, every part capped at its whole (`delen` within a row,
        `geheel` for the row that is a row's whole); then the statistics where the published count reaches
        ckm_minimum_noemer(). The caps change nothing the attacker did not already have: both values are published. -#}
    {%- if mart not in mart_tellingen() -%}
        {{ exceptions.raise_compiler_error("cell_key_perturbation: " ~ mart ~ " is not listed in mart_tellingen() (macros/marts.sql)") }}
    {%- endif -%}
    {%- set beschrijving = mart_tellingen()[mart] -%}
    {%- set relatie = ref(beschrijving['telling']) -%}
    {%- set sleutel = beschrijving['sleutel'] -%}
    {%- set aantallen = beschrijving['aantallen'] -%}
    {%- set statistieken = beschrijving.get('statistieken', {}) -%}
    {%- set delen = beschrijving.get('delen', []) -%}
    {%- set gehelen = beschrijving.get('geheel', []) -%}
    {%- set drempel = ckm_drempel() -%}
    {%- for kolom in aantallen -%}
        {%- if not kolom.startswith('aantal_') -%}
            {{ exceptions.raise_compiler_error("cell_key_perturbation: count column '" ~ kolom ~ "' must be named aantal_…") }}
        {%- endif -%}
    {%- endfor -%}
    {%- for kolom, basis in statistieken.items() -%}
        {%- if basis not in aantallen -%}
            {{ exceptions.raise_compiler_error("cell_key_perturbation: statistic " ~ kolom ~ " needs a count of aantallen, got " ~ basis) }}
        {%- endif -%}
    {%- endfor -%}
    {%- for deel, geheel in delen -%}
        {%- if deel not in aantallen or geheel not in aantallen -%}
            {{ exceptions.raise_compiler_error("cell_key_perturbation: part " ~ deel ~ " and whole " ~ geheel ~ " must both be counts of aantallen") }}
        {%- endif -%}
    {%- endfor %}

    ckm_laatste as (
        -- Every count from the last row on has the whole noise window, so that row serves them all (_macros.yml).
        select max(ptabel.pcv) as laatste_pcv
        from {{ ref('ptabel_geheim') }} as ptabel
    ),

    ckm_verstoord as (
        select
            {%- for kolom in sleutel %}
                ckm_bron.{{ kolom }},
            {%- endfor %}
            {%- for kolom in statistieken %}
                ckm_bron.{{ kolom }},
            {%- endfor %}
            {%- for kolom in aantallen %}
                -- A (count, cell key) missing from the p-table fails the build instead of publishing a raw count.
                ckm_bron.{{ kolom }} + coalesce(
                    ckm_p{{ loop.index }}.pvalue,
                    error('cell_key_perturbation: no p-table row for count ' || ckm_bron.{{ kolom }} || ' and cell key '
                        || ckm_bron.{{ kolom }}_celsleutel || '; regenerate seeds/ptable.csv with `pijler3 ptable`')
                ) as {{ kolom }}_verstoord{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relatie }} as ckm_bron
        cross join ckm_laatste
        {%- for kolom in aantallen %}
            left join {{ ref('ptabel_geheim') }} as ckm_p{{ loop.index }}
                on
                    least(ckm_bron.{{ kolom }}, ckm_laatste.laatste_pcv) = ckm_p{{ loop.index }}.pcv
                    and ckm_bron.{{ kolom }}_celsleutel = ckm_p{{ loop.index }}.celsleutel
        {%- endfor %}
    ),

    -- Counts under the threshold (true zeros included) are withheld, never published as such; a part is capped at
    -- the whole of its own row (delen), in order, and withheld where that whole is.
    ckm_gedeeld as (
        select
            {%- for kolom in sleutel %}
                ckm_verstoord.{{ kolom }},
            {%- endfor %}
            {%- for kolom in statistieken %}
                ckm_verstoord.{{ kolom }},
            {%- endfor %}
            {%- for kolom in aantallen %}
                case
                    when ckm_verstoord.{{ kolom }}_verstoord >= {{ drempel }} then ckm_verstoord.{{ kolom }}_verstoord
                end as {{ kolom }}_0{% if not loop.last %},{% endif %}
            {%- endfor %}
        from ckm_verstoord
    ),

    {%- set stap = {'naam': 'ckm_gedeeld', 'versie': {}} -%}
    {%- for kolom in aantallen -%}
        {%- do stap['versie'].update({kolom: kolom ~ '_0'}) -%}
    {%- endfor -%}
    {%- for deel, geheel in delen %}
    ckm_deel_{{ loop.index }} as (
        select
            {{ stap['naam'] }}.*,
            -- least() skips NULL in DuckDB: a withheld part must stay withheld, not become its whole.
            case
                when {{ stap['naam'] }}.{{ stap['versie'][geheel] }} is not null
                    and {{ stap['naam'] }}.{{ stap['versie'][deel] }} is not null
                    then least({{ stap['naam'] }}.{{ stap['versie'][deel] }}, {{ stap['naam'] }}.{{ stap['versie'][geheel] }})
            end as {{ deel }}_d{{ loop.index }}
        from {{ stap['naam'] }}
    ),
        {%- do stap['versie'].update({deel: deel ~ '_d' ~ loop.index}) -%}
        {%- do stap.update({'naam': 'ckm_deel_' ~ loop.index}) -%}
    {%- endfor -%}

    {#- Capping every row at its whole rows, twice: a margin first gets capped at the grand total, then a cell at the
        capped margin (two levels, the deepest the marts have). The min keeps the caps within a row. -#}
    {%- for ronde in ([1, 2] if gehelen else []) %}
    ckm_geheel_{{ ronde }} as (
        select
            {{ stap['naam'] }}.*,
            {%- for kolom in aantallen %}
                case
                    when {{ stap['naam'] }}.{{ stap['versie'][kolom] }} is null then null
                    {%- for geheel in gehelen %}
                        when ckm_heel_{{ loop.index }}_{{ ronde }}.{{ sleutel[0] }} is not null
                            and ckm_heel_{{ loop.index }}_{{ ronde }}.{{ stap['versie'][kolom] }} is null
                            then null
                    {%- endfor %}
                    else least(
                        {{ stap['naam'] }}.{{ stap['versie'][kolom] }}
                        {%- for geheel in gehelen %},
                            coalesce(
                                ckm_heel_{{ loop.index }}_{{ ronde }}.{{ stap['versie'][kolom] }},
                                {{ stap['naam'] }}.{{ stap['versie'][kolom] }}
                            )
                        {%- endfor %}
                    )
                end as {{ kolom }}_g{{ ronde }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ stap['naam'] }}
        {%- for geheel in gehelen %}
            {%- set alias = 'ckm_heel_' ~ loop.index ~ '_' ~ ronde %}
            left join {{ stap['naam'] }} as {{ alias }}
                on
                    {%- for kolom in sleutel %}
                        {%- if kolom in geheel %}
                            {{ alias }}.{{ kolom }} = '{{ geheel[kolom] }}'
                        {%- else %}
                            {{ alias }}.{{ kolom }} = {{ stap['naam'] }}.{{ kolom }}
                        {%- endif %}
                        {%- if not loop.last %} and{% endif %}
                    {%- endfor %}
        {%- endfor %}
    ),
        {%- for kolom in aantallen -%}
            {%- do stap['versie'].update({kolom: kolom ~ '_g' ~ ronde}) -%}
        {%- endfor -%}
        {%- do stap.update({'naam': 'ckm_geheel_' ~ ronde}) -%}
    {%- endfor -%}

    {%- set kolommen = [] -%}
    {%- for kolom in sleutel -%}
        {%- do kolommen.append(stap['naam'] ~ '.' ~ kolom) -%}
    {%- endfor -%}
    {%- for kolom in aantallen -%}
        {%- do kolommen.append(stap['naam'] ~ '.' ~ stap['versie'][kolom] ~ ' as ' ~ kolom) -%}
        {%- do kolommen.append(stap['naam'] ~ '.' ~ stap['versie'][kolom] ~ ' is null as ' ~ kolom ~ '_onderdrukt') -%}
    {%- endfor -%}
    {%- for kolom, basis in statistieken.items() -%}
        {#- A statistic over a cell (a median) only where its published count reaches ckm_minimum_noemer(), decided on
            the published count alone, and rounded to whole units. -#}
        {%- do kolommen.append(
            'case when ' ~ stap['naam'] ~ '.' ~ stap['versie'][basis] ~ ' >= ' ~ ckm_minimum_noemer()
            ~ ' then round(' ~ stap['naam'] ~ '.' ~ kolom ~ ') end as ' ~ kolom
        ) -%}
    {%- endfor %}

    ckm_resultaat as (
        select
            {{ kolommen | join(',\n            ') }}
        from {{ stap['naam'] }}
    )
{%- endmacro %}


{% macro ckm_percentage(teller, noemer, decimalen=1) -%}
    {#- A percentage from two published counts; NULL when either is withheld or the denominator is under
        ckm_minimum_noemer(). The caller makes sure the numerator never exceeds the denominator (caps, ckm_aandeel). -#}
    round(
        100.0 * {{ teller }} / case when {{ noemer }} >= {{ ckm_minimum_noemer() }} then {{ noemer }} end,
        {{ decimalen }}
    )
{%- endmacro %}


{% macro ckm_aandeel(teller, totaal, som_delen, decimalen=1) -%}
    {#- A part's share of a partition from published counts: over the published total, or over the sum of the
        published parts where that is larger, so the shares of a partition never add up to more than 100 % (rounding
        aside). NULL under ckm_minimum_noemer() like ckm_percentage. -#}
    {{ ckm_percentage(
        teller,
        'case when ' ~ totaal ~ ' is not null then greatest(' ~ totaal ~ ', coalesce(' ~ som_delen ~ ', 0)) end',
        decimalen
    ) }}
{%- endmacro %}


{% macro afgerond_aantal(relatie, naam, basis=var('sdc_afronding', 5)) -%}
    {#- The simpler rule for counts that are not about the dataset's people (rows of the KBI extract in
        mart_datakwaliteit; never a population a cell-key mart publishes), as two select-list
        items `<naam>` and `<naam>_onderdrukt`: 0 stays 0, 1 … sdc_drempel - 1 is withheld (NULL), the rest is
        rounded to a multiple of `basis` (never to 0); see _macros.yml for why that is safe there. -#}
    {%- set kolom = relatie ~ '.' ~ naam -%}
    {%- set drempel = ckm_drempel() -%}
    cast(
        case
            when {{ kolom }} = 0 then 0
            when {{ kolom }} >= {{ drempel }} then greatest(round({{ kolom }} / {{ basis }}), 1) * {{ basis }}
        end as bigint
    ) as {{ naam }},
    coalesce({{ kolom }} > 0 and {{ kolom }} < {{ drempel }}, false) as {{ naam }}_onderdrukt
{%- endmacro %}
